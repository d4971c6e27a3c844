"""``onewindow centers_voice_clips``: (re)generate the voice clips of the hall's call announcement.

Runs Debian's espeak-ng Mandarin voice (``espeak-ng -v cmn``) once per symbol of
``centers.voice.symbols()``, trims the silence around each clip so that the sequence sounds like one
sentence, and writes 16 kHz mono 16-bit WAV files into ``centers/static/centers/voice/``. The clips
are committed: installations play them without espeak-ng (no internet, no TTS voice needed).
"""

from __future__ import annotations

import array
import shutil
import subprocess
import sys
import tempfile
import wave
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from onewindow.centers import voice

RATE = 16000
SILENCE = 400  # |sample| below this counts as silence when trimming
PAD = int(RATE * 0.03)  # keep 30 ms around the sound


def _resample(samples: array.array[int], src: int, dst: int) -> array.array[int]:
    """Linear interpolation (speech clips; good enough at 22.05 → 16 kHz)."""
    if src == dst or not samples:
        return samples
    n = max(1, int(len(samples) * dst / src))
    out = array.array("h", bytes(2 * n))
    step = src / dst
    last = len(samples) - 1
    for i in range(n):
        x = i * step
        j = int(x)
        k = min(j + 1, last)
        frac = x - j
        out[i] = int(samples[min(j, last)] * (1 - frac) + samples[k] * frac)
    return out


def _trim(samples: array.array[int]) -> array.array[int]:
    loud = [i for i, s in enumerate(samples) if abs(s) > SILENCE]
    if not loud:
        return samples
    return samples[max(0, loud[0] - PAD):min(len(samples), loud[-1] + PAD)]


def render_clip(text: str, target: Path, *, espeak: str, speed: int, voice_name: str) -> int:
    """Speak ``text`` into ``target`` (16 kHz mono WAV); returns the number of bytes written."""
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "raw.wav"
        # An argument list, no shell; the texts are this module's own fixed symbols.
        subprocess.run([espeak, "-v", voice_name, "-s", str(speed), "-w", str(raw), text],  # noqa: S603
                       check=True, capture_output=True, timeout=30)
        with wave.open(str(raw), "rb") as src:
            if src.getsampwidth() != 2 or src.getnchannels() != 1:
                raise CommandError(f"unexpected espeak-ng output format for {text!r}")
            rate = src.getframerate()
            samples = array.array("h")
            samples.frombytes(src.readframes(src.getnframes()))
    if sys.byteorder == "big":
        samples.byteswap()
    samples = _trim(_resample(samples, rate, RATE))
    if sys.byteorder == "big":
        samples.byteswap()
    with wave.open(str(target), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(RATE)
        out.writeframes(samples.tobytes())
    return target.stat().st_size


class Command(BaseCommand):
    help = "Generate the WAV clips of the hall's voice announcement with espeak-ng (Mandarin)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", default=str(voice.CLIP_DIR), help="directory of the clips")
        parser.add_argument("--speed", type=int, default=150, help="espeak-ng words per minute")
        parser.add_argument("--voice", default="cmn", help="espeak-ng voice (default: cmn, Mandarin)")

    def handle(self, *args: Any, **options: Any) -> None:
        espeak = shutil.which("espeak-ng")
        if espeak is None:
            raise CommandError("espeak-ng is not installed (apt-get install espeak-ng); the committed clips "
                               "in centers/static/centers/voice/ are used as they are.")
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        total = 0
        for stem, text in voice.symbols().items():
            total += render_clip(text, out / f"{stem}.wav", espeak=espeak, speed=options["speed"],
                                 voice_name=options["voice"])
        self.stdout.write(f"{len(voice.symbols())} clips, {total} bytes written to {out}")
