"""The leaderboard's `avbench` verbs (`pack`, `submit`, `reproduce`, `leaderboard`), found by the
dispatcher through the `avbench.cli` entry points."""
