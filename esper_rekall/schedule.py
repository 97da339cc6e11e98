"""The synthetic TV-news schedule: channels, their shows and the shows' hosts.

Provides:
    SCHEDULE: channel -> shows in daily rotation (slot ``h`` airs show
        ``h % 3``), each ``(show name, hosts)``. Noah Patel hosts the 07:00
        show on every channel; Liam Chen and Ella Brooks work for two.
    CHANNELS: the channel names, in schedule order.
    HOSTS: every host's name, sorted.

Plain data with no imports, so both the corpus generator
(:mod:`esper_rekall.corpus`) and the named queries
(:mod:`esper_rekall.queries.tvnews`) read it without depending on each other.
"""

from __future__ import annotations

__all__ = ["CHANNELS", "HOSTS", "SCHEDULE"]

SCHEDULE: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {
    "CNN": (
        ("Morning Desk", ("Ava Morgan",)),
        ("The Briefing", ("Noah Patel", "Ava Morgan")),
        ("Prime Report", ("Liam Chen",)),
    ),
    "FOXNEWS": (
        ("Sunrise Today", ("Mia Rossi",)),
        ("The Panel", ("Noah Patel", "Ella Brooks")),
        ("Night Desk", ("Owen Grant", "Liam Chen")),
    ),
    "MSNBC": (
        ("First Look", ("Zoe Kim",)),
        ("Crossfire Hour", ("Noah Patel",)),
        ("Late Edition", ("Ella Brooks", "Sam Ortiz")),
    ),
}
CHANNELS = tuple(SCHEDULE)
HOSTS = tuple(sorted({h for shows in SCHEDULE.values() for _, hosts in shows for h in hosts}))
