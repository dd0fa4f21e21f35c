"""A LAN receipt printer for tests: a real TCP listener on a loopback port that keeps every byte, and a parser
that reads an ESC/POS stream back (raster images, drawer pulses, cuts) the way a printer's firmware would."""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field

from PIL import Image

STATUS_OK = 0x12  # DLE EOT answers: bits 1 and 4 are always set; nothing else means online, paper present
PAPER_OUT = 0x12 | 0x0C | 0x60  # near end and end of roll


class FakePrinter:
    """Listens on 127.0.0.1:<port>, answers DLE EOT status queries, stores each connection's bytes.

    ``mode``: "ok"; "paper_out" (answers that the roll is out); "drop" (closes the connection after
    ``drop_after`` bytes of a job, as a printer switched off half-way).
    """

    def __init__(self, mode: str = "ok", drop_after: int = 2000) -> None:
        self.mode = mode
        self.drop_after = drop_after
        self.jobs: list[bytes] = []
        self.connections = 0
        self._sock = socket.create_server(("127.0.0.1", 0))
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self.address = f"127.0.0.1:{self.port}"
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        data = bytearray()
        conn.settimeout(5)
        try:
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                start = len(data)
                data += chunk
                # Real-time status queries are answered as they arrive, ahead of the print buffer.
                i = data.find(b"\x10\x04", max(0, start - 2))
                while i != -1 and i + 2 < len(data):
                    if self.mode == "drop" and i >= self.drop_after:
                        break  # never got that far: the power went first
                    n = data[i + 2]
                    conn.sendall(bytes([PAPER_OUT if self.mode == "paper_out" and n == 4 else STATUS_OK]))
                    i = data.find(b"\x10\x04", i + 3)
                if self.mode == "drop" and len(data) > self.drop_after:
                    conn.close()  # switched off half-way: what came after never reached the paper
                    self.jobs.append(bytes(data[: self.drop_after]))
                    return
        except OSError:
            pass
        finally:
            conn.close()
        self.jobs.append(bytes(data))

    def printed(self) -> list[ParsedJob]:
        """The complete jobs received so far (connections that carried a whole stream and a cut), parsed."""
        parsed = []
        for data in self.jobs:
            try:
                job = parse(data)
            except ValueError:  # cut short inside an image
                continue
            if job.cuts:
                parsed.append(job)
        return parsed

    def close(self) -> None:
        """Stop listening (a printer switched off: connections are refused from now on)."""
        self._stop.set()
        self._sock.close()
        self._thread.join(2)


@dataclass
class ParsedJob:
    """What a printer would do with a stream."""

    images: list[Image.Image] = field(default_factory=list)
    drawer_pulses: list[int] = field(default_factory=list)  # pin 2 -> 0, pin 5 -> 1
    cuts: int = 0
    status_queries: int = 0

    def page(self) -> Image.Image:
        """Every raster fragment stacked into the printed strip, as an 8-bit image for a barcode reader."""
        width = max(image.width for image in self.images)
        height = sum(image.height for image in self.images)
        strip = Image.new("L", (width, height), 255)
        y = 0
        for image in self.images:
            strip.paste(image.convert("L"), (0, y))
            y += image.height
        return strip


def parse(data: bytes) -> ParsedJob:
    """Walk an ESC/POS stream command by command; an unknown command raises (the stream must be exact)."""
    job = ParsedJob()
    i = 0
    while i < len(data):
        b = data[i]
        if b == 0x0A:  # LF
            i += 1
        elif data[i : i + 2] == b"\x1b@":  # ESC @ initialise
            i += 2
        elif data[i : i + 2] == b"\x1bp":  # ESC p m t1 t2 drawer pulse
            job.drawer_pulses.append(data[i + 2])
            i += 5
        elif data[i : i + 2] == b"\x1bd":  # ESC d n print and feed n lines
            i += 3
        elif data[i : i + 2] == b"\x10\x04":  # DLE EOT n real-time status
            job.status_queries += 1
            i += 3
        elif data[i : i + 3] == b"\x1dv0":  # GS v 0 m xL xH yL yH d1...dk raster bit image
            width_bytes = data[i + 4] | data[i + 5] << 8
            height = data[i + 6] | data[i + 7] << 8
            start = i + 8
            raw = data[start : start + width_bytes * height]
            if len(raw) < width_bytes * height:
                raise ValueError("raster image cut short")
            # 1 bits are printed (black); Pillow's "1" mode takes 1 as white, so invert.
            job.images.append(Image.frombytes("1", (width_bytes * 8, height), bytes(255 - v for v in raw)))
            i = start + width_bytes * height
        elif data[i : i + 2] == b"\x1dV":  # GS V m (cut), GS V 65/66 n (feed and cut)
            m = data[i + 2]
            job.cuts += 1
            i += 4 if m in (65, 66) else 3
        else:
            raise ValueError(f"unknown ESC/POS command at byte {i}: {data[i : i + 8]!r}")
    return job
