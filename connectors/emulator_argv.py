"""Strict parsing of offboarding-plan argv for the emulators' appliers: an unknown command or option raises."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field


class UnknownCommand(ValueError):
    """An argv an emulator applier cannot perform; never skipped, so a plan is applied whole or not at all."""


@dataclass(frozen=True)
class Spec:
    """The shape of one CLI command: its --name=value options, bare flags, separate-value options, positionals."""

    options: frozenset[str] = frozenset()
    flags: frozenset[str] = frozenset()
    separate: frozenset[str] = frozenset()  # options whose value is the next argument (az's --set)
    positionals: int = 0


def spec(*options: str, flags: tuple[str, ...] = (), separate: tuple[str, ...] = (), positionals: int = 0) -> Spec:
    """A Spec from plain option names, for compact command tables."""
    return Spec(frozenset(options), frozenset(flags), frozenset(separate), positionals)


@dataclass(frozen=True)
class Command:
    """One parsed argv: the command words that matched a Spec, then its arguments."""

    words: tuple[str, ...]
    positionals: tuple[str, ...]
    options: dict[str, str] = field(default_factory=dict)
    flags: frozenset[str] = frozenset()

    def option(self, name: str) -> str:
        """A required option's value; its absence is an error that names the command."""
        if name not in self.options:
            raise UnknownCommand(f"{' '.join(self.words)}: {name} is required")
        return self.options[name]


def parse(argv: Sequence[str], cli: str, specs: Mapping[tuple[str, ...], Spec]) -> Command:
    """Match the longest known command, then accept only the options its Spec names."""
    if not argv or argv[0] != cli:
        raise UnknownCommand(f"not a {cli} command: {list(argv)[:3]}")
    known = [words for words in specs if tuple(argv[1 : 1 + len(words)]) == words]
    if not known:
        raise UnknownCommand(f"the emulator cannot apply `{' '.join(argv[:4])}`: no applier for this command")
    words = max(known, key=len)
    shape, rest = specs[words], list(argv[1 + len(words) :])
    options: dict[str, str] = {}
    flags: set[str] = set()
    positionals: list[str] = []
    while rest:
        arg = rest.pop(0)
        name, eq, value = arg.partition("=")
        if arg.startswith("--") and eq and name in shape.options:
            options[name] = value
        elif arg in shape.flags:
            flags.add(arg)
        elif arg in shape.separate and rest:
            options[arg] = rest.pop(0)
        elif arg.startswith("-"):
            raise UnknownCommand(f"{cli} {' '.join(words)}: the emulator does not know option {arg.split('=')[0]}")
        else:
            positionals.append(arg)
    if len(positionals) != shape.positionals:
        raise UnknownCommand(f"{cli} {' '.join(words)}: expected {shape.positionals} positional arguments")
    return Command(words, tuple(positionals), options, frozenset(flags))
