"""Word lists for the synthetic content: real Swedish municipal vocabulary, compound parts and phrases.

The generator combines these into titles, summaries and bodies that look like a contact centre's
knowledge base: errand nouns built as Swedish compounds (``parkering`` + ``s`` + ``tillstånd``),
everyday verbs, fees, deadlines and routing notes. English lists feed the translations.
"""

from __future__ import annotations

# Compound heads with the linking morpheme they take in Swedish ("" when none).
HEADS: list[tuple[str, str]] = [
    ("bygglov", "s"), ("parkering", "s"), ("förskole", ""), ("skol", ""), ("avfall", "s"), ("vatten", ""),
    ("avlopp", "s"), ("miljö", ""), ("livsmedel", "s"), ("bostad", "s"), ("hemtjänst", ""), ("färdtjänst", ""),
    ("bibliotek", "s"), ("kultur", ""), ("idrott", "s"), ("förening", "s"), ("trafik", ""), ("gatu", ""),
    ("snö", ""), ("fastighet", "s"), ("strand", ""), ("brand", ""), ("alkohol", ""), ("serverings", ""),
    ("torg", ""), ("grav", ""), ("vigsel", ""), ("omsorg", "s"), ("äldre", ""), ("barn", ""), ("fritid", "s"),
    ("bidrag", "s"), ("skuld", ""), ("budget", ""), ("energi", ""), ("buller", ""), ("kart", ""), ("tomt", ""),
    ("lokal", ""), ("cykel", ""), ("buss", ""), ("kommun", ""), ("stadsdel", "s"), ("arbete", "s"), ("praktik", ""),
    ("modersmål", "s"), ("elev", ""), ("hälso", ""), ("boende", ""), ("kompost", ""), ("återvinning", "s"),
]
TAILS: list[str] = [
    "tillstånd", "ansökan", "avgift", "plats", "taxa", "beslut", "kort", "bidrag", "anmälan", "handläggare",
    "nämnd", "kö", "regler", "skjuts", "tid", "ärende", "intyg", "karta", "dispens", "tillsyn", "kontroll",
    "service", "stöd", "rådgivning", "central", "hämtning", "förening", "verksamhet", "lokal", "plan",
    "registrering", "faktura", "blankett", "insats", "utredning", "besked", "bokning", "tjänst", "hjälp",
]
# Compounds people really write, used as-is (most already appear in the sample municipality).
COMPOUNDS: list[str] = [
    "bygglovsansökan", "parkeringstillstånd", "förskoleplats", "skolskjuts", "avfallstaxa", "sophämtning",
    "grovavfall", "återvinningscentral", "trygghetslarm", "bostadsanpassningsbidrag", "ekonomiskt bistånd",
    "försörjningsstöd", "hemtjänst", "färdtjänst", "bibliotekskort", "föreningsbidrag", "feriearbete",
    "serveringstillstånd", "strandskyddsdispens", "nybyggnadskarta", "fastighetsbeteckning", "detaljplan",
    "startbesked", "slutbesked", "kontrollansvarig", "situationsplan", "fasadritning", "snöröjning", "gatubelysning",
    "felanmälan", "boendeparkering", "parkeringsanmärkning", "vattenmätare", "enskilt avlopp", "sotning",
    "brandskyddskontroll", "livsmedelsregistrering", "torghandel", "gravplats", "borgerlig vigsel", "god man",
    "förvaltarskap", "anhörigstöd", "särskilt boende", "korttidsboende", "dagverksamhet", "modersmålsundervisning",
    "fritidshem", "barnomsorg", "kulturskola", "simhall", "idrottshall", "lokalbokning", "allmänna handlingar",
    "synpunkter", "klagomål", "budgetrådgivning", "skuldrådgivning", "familjerådgivning", "faderskap",
    "vårdnadsbidrag", "bostadstillägg", "hyresgästförening", "energirådgivning", "bullerklagomål", "matavfall",
]
VERBS_INF: list[str] = [
    "ansöka om", "anmäla", "boka", "beställa", "säga upp", "ändra", "överklaga", "betala", "förnya", "avboka",
    "registrera", "byta", "få", "hämta", "lämna in", "söka",
]
TITLE_TEMPLATES: list[str] = [
    "{Verb} {noun}", "{Noun} för {who}", "Så fungerar {noun}", "Avgift för {noun}", "Frågor om {noun}",
    "{Noun} och {noun2}", "När behöver jag {noun}?", "{Verb} {noun} i {place}", "Regler för {noun}",
    "Handläggningstid för {noun}", "{Noun} vid {event}",
]
WHO: list[str] = [
    "privatpersoner", "företag", "föreningar", "äldre", "barn och unga", "personer med funktionsnedsättning",
    "nyanlända", "fastighetsägare", "vårdnadshavare", "studenter", "pensionärer", "hyresgäster",
]
PLACES: list[str] = [
    "kommunen", "centrum", "din stadsdel", "hamnen", "skolan", "förskolan", "biblioteket", "simhallen",
    "återvinningscentralen", "stadshuset", "kontaktcenter", "kulturhuset",
]
EVENTS: list[str] = [
    "flytt", "dödsfall", "separation", "sjukdom", "ombyggnad", "nybyggnad", "försäljning av fastighet",
    "skolstart", "semester", "vinterväglag", "strömavbrott", "högtider",
]
FILLER_NOUNS: list[str] = [
    "kommunen", "handläggaren", "beslutet", "ansökan", "e-tjänsten", "blanketten", "avgiften", "fakturan",
    "kontaktcenter", "förvaltningen", "nämnden", "ärendet", "underlaget", "handlingarna", "tjänsten", "platsen",
    "fastigheten", "tomten", "vårdnadshavaren", "sökanden", "hushållet", "verksamheten", "tillsynen",
]
ADJ: list[str] = [
    "komplett", "skriftlig", "digital", "tillfällig", "årlig", "kommunal", "enskild", "särskild", "ny", "gällande",
    "ordinarie", "akut", "kostnadsfri", "ungefärlig", "personlig",
]
SENTENCES: list[str] = [
    "Du kan {verb} {noun} i e-tjänsten med BankID eller Freja eID+.",
    "Om {filler} saknar uppgifter hör {filler2} av sig till dig.",
    "Avgiften för {noun} är {num} kronor och faktureras efter beslutet.",
    "Handläggningstiden är normalt {small} veckor från att {filler} är {adj}.",
    "Du får ett {adj} beslut med e-post eller brev.",
    "Kontakta kontaktcenter om du har frågor om {noun}.",
    "{Filler} gäller i {small} år och kan förnyas.",
    "Du kan överklaga beslutet inom tre veckor från att du fick det.",
    "För {who} finns det {adj} regler om {noun}.",
    "Läs mer om {noun} och {noun2} på kommunens webbplats.",
    "Ta med legitimation och {noun} när du besöker {place}.",
    "{Filler} skickas till {filler2} när du har lämnat in {noun}.",
    "Det är {filler} som fattar beslut om {noun} enligt kommunens riktlinjer.",
    "Om du behöver hjälp med {noun} kan du boka en tid hos en handläggare.",
    "Tänk på att {noun} inte gäller för {who} utan {noun2}.",
    "Vid frågor om {noun2} kan du ringa mellan klockan 8 och 17 på vardagar.",
    "Kommunen följer upp {noun} minst en gång per år.",
    "Du behöver inte {verb} {noun} om {filler} redan har {adj} uppgifter.",
]
INTERNAL_SENTENCES: list[str] = [
    "Lämna över ärenden om {noun} till förvaltningen via kön för {noun2}.",
    "Säg aldrig att {noun} beviljas innan beslut är fattat.",
    "Kontrollera i ärendesystemet att {filler} är registrerad innan du svarar.",
    "ROSA: rådgivning. Bedömningar i enskilda fall om {noun} är vidarebefordran.",
    "Ge inte ut handläggarens direktnummer; hänvisa till funktionsbrevlådan.",
    "Vanlig fallgrop: många blandar ihop {noun} och {noun2}.",
    "Telefontid för {noun} är tisdagar och torsdagar klockan 9–11.",
]
HEADINGS: list[str] = [
    "Det här behöver du", "Så här gör du", "Avgift", "Handläggningstid", "Om du inte är nöjd med beslutet",
    "Vem kan ansöka", "Regler", "Kontakt",
]
NEEDS: list[str] = [
    "BankID eller Freja eID+", "Fastighetsbeteckning", "Personnummer", "Ritningar som pdf", "Intyg från läkare",
    "Barnets personnummer", "Organisationsnummer", "Senaste deklarationen", "Hyreskontrakt", "Fullmakt",
]
# English: nouns for errands and sentence templates for the translations.
EN_NOUNS: list[str] = [
    "building permit", "parking permit", "preschool place", "school transport", "waste collection", "water meter",
    "sewage", "food business registration", "housing adaptation grant", "home care", "mobility service",
    "library card", "association grant", "summer job", "alcohol licence", "shoreline protection exemption",
    "property map", "snow clearing", "street lighting", "fault report", "residential parking", "chimney sweeping",
    "fire safety inspection", "market trading", "burial plot", "civil wedding", "legal guardian", "carer support",
    "residential care", "mother tongue tuition", "after-school centre", "culture school", "sports hall booking",
    "public documents", "complaints", "debt counselling", "family counselling", "paternity", "energy advice",
    "food waste", "financial assistance", "safety alarm", "recycling centre", "noise complaint",
]
EN_TITLES: list[str] = [
    "Apply for {noun}", "{Noun} for {who}", "How {noun} works", "Fees for {noun}", "Questions about {noun}",
    "Book {noun}", "Report {noun}", "Rules for {noun}",
]
EN_WHO: list[str] = [
    "residents", "businesses", "associations", "older people", "children and young people", "property owners",
    "guardians", "students", "pensioners", "tenants", "newcomers",
]
EN_SENTENCES: list[str] = [
    "You can apply for {noun} in the e-service with BankID or Freja eID+.",
    "If anything is missing, a case officer will contact you.",
    "The fee for {noun} is {num} kronor and is invoiced after the decision.",
    "The processing time is normally {small} weeks from when your application is complete.",
    "You get the decision by e-mail or letter.",
    "Contact the contact centre if you have questions about {noun}.",
    "The decision is valid for {small} years and can be renewed.",
    "You can appeal the decision within three weeks from when you received it.",
    "There are special rules about {noun} for {who}.",
    "Bring identification and your {noun2} documents when you visit the town hall.",
    "The municipality follows up {noun} at least once a year.",
    "If you need help with {noun}, you can book an appointment with a case officer.",
]
EN_HEADINGS: list[str] = ["What you need", "How to apply", "Fees", "Processing time", "If you are not satisfied"]
