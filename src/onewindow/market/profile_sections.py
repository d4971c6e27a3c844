"""Sections that apps above ``market`` add to an entity's profile page (issue #11: the profile
shows "later, sanctions and alerts"; issue #12 parts 6 and 8).

``market`` sits below ``supervision`` in the app order, so the profile cannot read alerts or
inspection results itself: an app above registers a section here from its ``AppConfig.ready()``
(the pattern of :mod:`onewindow.market.listeners`). A section is a key, a title, a template and a
``render(user, organization)`` that returns the template's context, or None where the viewer may
not see it — the section decides who sees what; the profile page only lays the sections out, in
(``order``, key) order, after the registration and the pooled records.

Each section should cost at most one or two SQL statements: the profile page's statement count is
pinned (market/tests/test_profile_sections.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from onewindow.accounts.models import Organization

SectionRender = Callable[[Any, Organization], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class ProfileSection:
    """One registered section: ``title`` is shown as its heading (a lazy translation),
    ``template`` (a template name, or a compiled ``django.template.Template``) renders
    ``render``'s context as ``data``, beside the page's own context (``entity``, ``profile``)."""

    key: str
    title: Any
    render: SectionRender
    template: Any
    order: int = 100


@dataclass(frozen=True, slots=True)
class RenderedSection:
    """A section as one viewer sees it: its heading, template and context."""

    key: str
    title: Any
    template: Any
    data: Mapping[str, Any]


_SECTIONS: dict[str, ProfileSection] = {}


def register_profile_section(key: str, title: Any, render: SectionRender, *, template: Any, order: int = 100) -> None:
    """Register (or replace) a section, from an ``AppConfig.ready()``."""
    _SECTIONS[key] = ProfileSection(key=key, title=title, render=render, template=template, order=order)


def unregister_profile_section(key: str) -> None:
    """Remove a section (tests; an app that is switched off)."""
    _SECTIONS.pop(key, None)


def profile_sections() -> list[ProfileSection]:
    """The registered sections in (order, key) order (deterministic)."""
    return sorted(_SECTIONS.values(), key=lambda s: (s.order, s.key))


def sections_for(user: Any, organization: Organization) -> list[RenderedSection]:
    """The sections ``user`` sees on ``organization``'s profile: each registered section whose
    ``render`` returns a context (None: not shown to this viewer)."""
    shown: list[RenderedSection] = []
    for section in profile_sections():
        data = section.render(user, organization)
        if data is not None:
            shown.append(RenderedSection(key=section.key, title=section.title, template=section.template, data=data))
    return shown
