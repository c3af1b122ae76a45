"""What `portal build` shows while it works: done of total and the time left, never a bare label."""

from __future__ import annotations

import io

from portal.cli.progress import StepProgress


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_log_gets_a_line_every_few_seconds_with_the_time_left_and_one_at_the_end():
    out, clock = io.StringIO(), Clock()
    shown = StepProgress(out, tty=False, every=5, clock=clock)
    shown.say("Freezing the public site …")
    for done in range(1, 21):
        clock.now += 0.5  # 10 s in all: a line at 5 s and one at the end
        shown.update(done, 20)
    shown.close()
    assert out.getvalue().splitlines() == ["Freezing the public site …", "  10 of 20 (50%), about 5 s left",
                                           "  20 of 20 (100%), 10 s"]


def test_a_terminal_line_is_redrawn_in_place_and_ended_before_the_next_message():
    out, clock = io.StringIO(), Clock()
    shown = StepProgress(out, tty=True, clock=clock)
    shown.say("Checking and indexing the content …")
    clock.now += 90
    shown.update(30, 120)
    clock.now += 30
    shown.update(60, 120)
    shown.say("Freezing the public site …")
    lines = out.getvalue().split("\n")
    assert lines[0] == "Checking and indexing the content …"
    assert [part.rstrip() for part in lines[1].split("\r")] == [
        "", "  30 of 120 (25%), about 4 min 30 s left", "  60 of 120 (50%), about 2 min 00 s left"]
    assert lines[2] == "Freezing the public site …"


def test_a_new_total_is_a_new_stage_timed_on_its_own_and_nothing_is_shown_without_progress():
    out, clock = io.StringIO(), Clock()
    shown = StepProgress(out, tty=False, every=5, clock=clock)
    shown.say("Checking and indexing the content …")
    clock.now += 8
    shown.update(10, 10)  # loading done in 8 s
    shown.update(1, 40)  # indexing starts: its clock starts now
    clock.now += 2
    shown.update(40, 40)
    shown.say("Indexing the static site for search (Pagefind) …")  # reports no progress: no line
    assert out.getvalue().splitlines() == ["Checking and indexing the content …", "  10 of 10 (100%), 8 s",
                                           "  40 of 40 (100%), 2 s",
                                           "Indexing the static site for search (Pagefind) …"]


def test_cli_build_shows_pages_done_of_total_and_no_bare_progress_label(runner, corpus_dir, tmp_path):
    from portal.cli.main import cli

    result = runner.invoke(cli, ["build", "--articles", str(corpus_dir), "--index", str(tmp_path / "idx"),
                                 "--out", str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Progress" not in result.output
    freezing = lines.index("Freezing the public site …")
    assert lines[freezing + 1].startswith("  ") and "(100%)" in lines[freezing + 1]
