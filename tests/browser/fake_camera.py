"""A fake phone camera for Chromium: a one-frame .y4m video that shows a QR code (or nothing), played in a loop.

Chromium reads the file given by --use-file-for-fake-video-capture each time a page opens the camera, so a test can
swap what the camera sees with `show()` and then make the page reopen the camera (reload, or stop and start it).
"""
import io
import os
from pathlib import Path

import segno
from PIL import Image

WIDTH, HEIGHT = 640, 480
HEADER = f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F30:1 Ip A1:1 C420jpeg\n".encode()
FAKE_CAMERA_ARGS = ["--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream"]


def camera_args(video: Path) -> list[str]:
    """Chromium flags for a camera that plays `video` (which must exist and end in .y4m, or the page gets
    NotFoundError and nothing else)."""
    assert video.suffix == ".y4m" and video.exists(), video
    return [*FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={video}"]


def frame_showing(text: str | None) -> Image.Image:
    """A grey-scale camera frame: a QR code of `text` held in the middle of a light background, or no code."""
    frame = Image.new("L", (WIDTH, HEIGHT), 235)
    if text is not None:
        png = io.BytesIO()
        segno.make_qr(text, error="m", boost_error=False).save(png, kind="png", scale=1, border=4)
        matrix = Image.open(png).convert("L")
        box = (HEIGHT * 3 // 4) // matrix.width  # the code fills about three quarters of the frame's height
        matrix = matrix.resize((matrix.width * box, matrix.height * box), Image.NEAREST)
        frame.paste(matrix, ((WIDTH - matrix.width) // 2, (HEIGHT - matrix.height) // 2))
    return frame


def y4m_bytes(frame: Image.Image) -> bytes:
    """One 4:2:0 frame: planar Y (limited range 16–235, as Chromium reads it), then U and V at 128 (grey)."""
    y_plane = frame.point(lambda value: round(16 + value * 219 / 255)).tobytes()
    chroma = bytes([128]) * ((HEIGHT // 2) * (WIDTH // 2) * 2)
    return HEADER + b"FRAME\n" + y_plane + chroma


def show(video: Path, text: str | None) -> Path:
    """Make the fake camera show a QR code of `text` (None: an empty view) from its next opening on."""
    video = Path(video)
    partial = video.with_name(video.name + ".part")
    partial.write_bytes(y4m_bytes(frame_showing(text)))
    os.replace(partial, video)  # atomic: Chromium never reads half a file
    assert video.exists() and video.stat().st_size == len(HEADER) + 6 + WIDTH * HEIGHT * 3 // 2
    return video
