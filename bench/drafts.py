"""What the load test's donors write, for bench/harness.py and bench/preview.py alike.

Kept apart from the harness, which imports locust (and locust patches the runtime).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

OPENINGS = (
    "Дарагая мама! Шчыра віншую з Днём маці. Няхай вясна прынясе цяпло і надзею.",
    "Дорогая мама! Поздравляю вас с Днём матери. Пусть весна принесёт тепло и силы.",
    "Dear mum, thinking of you on Mother's Day. You are not alone; many of us care.",
)
DESIGNS = ("tulips", "birds", "plain", "window")
# A donor writes on from an opening, a few words between previews: mostly words others
# write too, and now and then one no process has drawn yet (a name, a place).
VOCABULARY = tuple(sorted({word for opening in OPENINGS for word in opening.split()}))
LETTERS = "абвгдеёжзійклмнопрстуўфхцчшыьэюя"
NEW_WORD_SHARE = 0.25
LONGEST = 450  # characters: past this she starts over, well within a campaign's 600


@dataclass
class CardDraft:
    """A donor's card as she writes it: a design and a message that grows."""

    rng: random.Random = field(default_factory=random.Random)
    design: str = ""
    message: str = ""

    def __post_init__(self) -> None:
        self.begin()

    def begin(self) -> None:
        """A new card: a design and an opening."""
        self.design = self.rng.choice(DESIGNS)
        self.message = self.rng.choice(OPENINGS)

    def write_more(self) -> None:
        """A word to three more, as between two previews of a live preview."""
        if len(self.message) > LONGEST:
            self.message = self.rng.choice(OPENINGS)
        for _ in range(self.rng.randint(1, 3)):
            if self.rng.random() < NEW_WORD_SHARE:
                word = "".join(self.rng.choices(LETTERS, k=self.rng.randint(4, 9)))
            else:
                word = self.rng.choice(VOCABULARY)
            self.message += " " + word
