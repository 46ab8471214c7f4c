"""Many more mutants than CI runs, as `validate` reads them (not collected by pytest):

    python -m tests.script.fuzz_mutants 10000 [SEED]

Each mutant is the small script or the five-friends example with one to four random cuts and
insertions of the fuzz test's tokens or random characters. Prints how many loaded, how many
were refused with located problems, and every other exception (a traceback in the CLI).
"""

from __future__ import annotations

import random
import sys
import time
import traceback

from storyboard.errors import ScriptError
from storyboard.render import script_checks
from storyboard.script import parse_story
from tests.script.test_fuzz import EXAMPLE, HERE, ONE_LINE, SMALL, TOKENS, mutate


def random_text(rng: random.Random) -> str:
    pick = rng.random()
    if pick < 0.5:
        return "".join(chr(rng.randrange(0x20, 0x7F)) for _ in range(rng.randrange(1, 7)))
    if pick < 0.8:
        return "".join(chr(rng.randrange(0, 0x3000)) for _ in range(rng.randrange(1, 7)))
    return "".join(chr(rng.randrange(0, 0x110000)) for _ in range(rng.randrange(1, 4)))


def mutant(rng: random.Random) -> str:
    base = SMALL if rng.random() < 0.7 else EXAMPLE
    changes = [(rng.randrange(len(base) + 1), rng.randrange(41),
                rng.choice(TOKENS) if rng.random() < 0.6 else random_text(rng))
               for _ in range(rng.randrange(1, 5))]
    return mutate(base, changes)


def main(count: int, seed: int) -> int:
    rng = random.Random(seed)
    loaded = refused = 0
    crashes = []
    started = time.perf_counter()
    for n in range(count):
        text = mutant(rng)
        try:
            parse_story(text, filename="f.yaml", base_dir=HERE, checks=script_checks)
            loaded += 1
        except ScriptError as err:
            refused += 1
            bad = [str(p) for p in err.problems
                   if not (ONE_LINE.match(str(p)) and str(p).isprintable() and _utf8(str(p)))]
            if bad:
                crashes.append((n, text, f"not one printable located line: {bad[0][:300]!r}"))
        except Exception:  # anything but ScriptError is a traceback in the CLI
            crashes.append((n, text, traceback.format_exc()))
    for n, text, why in crashes[:5]:
        print(f"--- mutant {n}: {text[:200]!r}\n{why}")
    print(f"{count} mutants (seed {seed}): {loaded} loaded, {refused} refused with located problems, "
          f"{len(crashes)} other exceptions or malformed lines, {time.perf_counter() - started:.0f} s")
    return 1 if crashes else 0


def _utf8(line: str) -> bool:
    try:
        line.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000, int(sys.argv[2]) if len(sys.argv) > 2 else 1))
