"""Uploaded files, kept in memory so tests can read back what the bot sent and the bot can re-send a
file by its file_id, as on Telegram."""

from __future__ import annotations

import itertools
import mimetypes
import secrets
import struct
from dataclasses import dataclass


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # "document" | "photo"
    data: bytes
    file_name: str
    mime_type: str
    file_path: str
    width: int = 0
    height: int = 0

    def document_json(self) -> dict:
        return {
            "file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_name": self.file_name,
            "mime_type": self.mime_type, "file_size": len(self.data),
        }

    def photo_json(self) -> list[dict]:
        return [{
            "file_id": self.file_id, "file_unique_id": self.file_unique_id, "width": self.width,
            "height": self.height, "file_size": len(self.data),
        }]

    def file_json(self) -> dict:
        return {
            "file_id": self.file_id, "file_unique_id": self.file_unique_id, "file_size": len(self.data),
            "file_path": self.file_path,
        }


class FileStore:
    def __init__(self) -> None:
        self._by_id: dict[str, StoredFile] = {}
        self._by_path: dict[str, StoredFile] = {}
        self._counter = itertools.count(1)

    def add(self, kind: str, data: bytes, file_name: str | None = None, mime_type: str | None = None) -> StoredFile:
        number = next(self._counter)
        if kind == "photo":
            file_name = file_name or f"photo_{number}.jpg"
        file_name = file_name or f"file_{number}"
        mime_type = mime_type or mimetypes.guess_type(file_name, strict=False)[0] or "application/octet-stream"
        if kind == "photo":
            suffix = mimetypes.guess_extension(mime_type) or ""
        else:
            suffix = "." + file_name.rsplit(".", 1)[1] if "." in file_name else ""
        folder = "photos" if kind == "photo" else "documents"
        stored = StoredFile(
            file_id=f"{'AgAC' if kind == 'photo' else 'BQAC'}{number:06d}{secrets.token_hex(8)}",
            file_unique_id=f"AQAD{number:06d}",
            kind=kind, data=data, file_name=file_name, mime_type=mime_type,
            file_path=f"{folder}/file_{number}{suffix}",
        )
        if kind == "photo":
            stored.width, stored.height = image_size(data)
        self._by_id[stored.file_id] = stored
        self._by_path[stored.file_path] = stored
        return stored

    def get(self, file_id: str) -> StoredFile | None:
        return self._by_id.get(file_id)

    def by_path(self, path: str) -> StoredFile | None:
        return self._by_path.get(path)


def image_size(data: bytes) -> tuple[int, int]:
    """(width, height) of a PNG, GIF or JPEG image; (0, 0) when it is none of these."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        return struct.unpack(">II", data[16:24])
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return struct.unpack("<HH", data[6:10])
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker = data[i + 1]
            length = struct.unpack(">H", data[i + 2:i + 4])[0]
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5:i + 9])
                return width, height
            i += 2 + length
    return 0, 0
