"""Run records as S3 objects: ``state_dir: s3://BUCKET/PREFIX`` for many workers.

Implements ``netmend.store.backend.RecordBackend``. A document is one object, replaced
by a PUT (S3 is strongly consistent: a reader sees the old or the new object whole).
Creation uses a conditional PUT (``If-None-Match: *``): of two workers creating the same
record, exactly one wins and the other learns it (412 PreconditionFailed, or 409
ConditionalRequestConflict while the first is still in flight).

The audit trail (``netmend.store.audit_records.AuditSink``) is one object per record under
``audit/``, named by its place in the hash chain (zero-padded seq), created conditionally.

S3 objects cannot be appended to, so a journal ``K`` is a folder of one object per line,
``K.d/00000001`` ...: each line is created conditionally at the next free number, so two
writers can never overwrite each other's line and the order is the numbers' order.
"""

from __future__ import annotations

from typing import Any

from netmend.aws.session import AwsClients
from netmend.errors import AwsCallError, BadInputError, NetmendError

__all__ = ["S3Backend", "parse_s3_url"]

_EXISTS = frozenset({"PreconditionFailed", "ConditionalRequestConflict", "412", "409"})
_MISSING = frozenset({"NoSuchKey", "404", "NotFound"})
_LINE_DIGITS = 8
_AUDIT = "audit/"
# DeleteObjects takes at most 1,000 keys a call.
_DELETE_BATCH = 1000
# Beside the records, not among them: listing audit/ must see records only.
_AUDIT_ANCHOR = "audit.head"


def parse_s3_url(url: str) -> tuple[str, str]:
    """``s3://bucket/some/prefix`` → (``bucket``, ``some/prefix/``); prefix may be empty."""
    if not url.startswith("s3://"):
        raise BadInputError(f"not an S3 URL: {url!r} (expected s3://BUCKET/PREFIX)")
    bucket, _, prefix = url.removeprefix("s3://").partition("/")
    if not bucket:
        raise BadInputError(f"no bucket in {url!r} (expected s3://BUCKET/PREFIX)")
    prefix = prefix.strip("/")
    return bucket, f"{prefix}/" if prefix else ""


class S3Backend:
    """Run records under ``s3://bucket/prefix/``."""

    def __init__(self, clients: AwsClients, url: str) -> None:
        self.bucket, self.prefix = parse_s3_url(url)
        self._clients = clients
        self._s3: Any = clients.client("s3")
        # Next line number per journal: one writer per run (it holds the run's locks), so
        # listing once and counting on saves a LIST per line; a conflict moves it on.
        self._next_line: dict[str, int] = {}

    @property
    def location(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def _key(self, key: str) -> str:
        return self.prefix + key

    def _call(self, operation: str, method: Any, **params: Any) -> Any:
        return self._clients.call.run(operation, lambda: method(**params), service="S3")

    def read(self, key: str) -> bytes | None:
        try:
            answer = self._call(
                "GetObject", self._s3.get_object, Bucket=self.bucket, Key=self._key(key)
            )
        except AwsCallError as error:
            if error.code in _MISSING:
                return None
            raise
        body: bytes = answer["Body"].read()
        return body

    def write(self, key: str, data: bytes) -> None:
        self._call(
            "PutObject", self._s3.put_object, Bucket=self.bucket, Key=self._key(key), Body=data
        )

    def create(self, key: str, data: bytes) -> bool:
        try:
            self._call(
                "PutObject",
                self._s3.put_object,
                Bucket=self.bucket,
                Key=self._key(key),
                Body=data,
                IfNoneMatch="*",
            )
        except AwsCallError as error:
            if error.code in _EXISTS:
                return False
            raise
        return True

    def _keys(self, prefix: str) -> list[str]:
        keys: list[str] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": self._key(prefix)}
            if token:
                params["ContinuationToken"] = token
            page = self._call("ListObjectsV2", self._s3.list_objects_v2, **params)
            keys += [item["Key"] for item in page.get("Contents", ())]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return sorted(keys)

    def append(self, key: str, line: str) -> None:
        if "\n" in line:
            raise ValueError("a journal line must not contain a newline")
        folder = f"{key}.d/"
        number = self._next_line.get(folder) or len(self._keys(folder)) + 1
        # Another writer may take a number between the listing and the PUT: try the next.
        while not self.create(f"{folder}{number:0{_LINE_DIGITS}d}", line.encode("utf-8")):
            number += 1
        self._next_line[folder] = number + 1

    def lines(self, key: str) -> list[str]:
        found: list[str] = []
        for full in self._keys(f"{key}.d/"):
            relative = full.removeprefix(self.prefix)
            data = self.read(relative)
            if data is not None:
                found.append(data.decode("utf-8"))
        return found

    def children(self, prefix: str) -> list[str]:
        base = self._key(f"{prefix.strip('/')}/")
        names: list[str] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": base, "Delimiter": "/"}
            if token:
                params["ContinuationToken"] = token
            page = self._call("ListObjectsV2", self._s3.list_objects_v2, **params)
            names += [
                item["Prefix"].removeprefix(base).rstrip("/")
                for item in page.get("CommonPrefixes", ())
            ]
            token = page.get("NextContinuationToken")
            if not page.get("IsTruncated") or not token:
                return sorted(names)

    def files(self, prefix: str) -> list[str]:
        base = self._key(f"{prefix.strip('/')}/")
        return sorted(
            name
            for full in self._keys(f"{prefix.strip('/')}/")
            if "/" not in (name := full.removeprefix(base))
        )

    def remove_tree(self, prefix: str) -> None:
        keys = self._keys(f"{prefix.strip('/')}/")
        for start in range(0, len(keys), _DELETE_BATCH):
            batch = [{"Key": key} for key in keys[start : start + _DELETE_BATCH]]
            answer = self._call(
                "DeleteObjects",
                self._s3.delete_objects,
                Bucket=self.bucket,
                Delete={"Objects": batch, "Quiet": True},
            )
            if answer.get("Errors"):
                first = answer["Errors"][0]
                raise NetmendError(
                    f"could not delete s3://{self.bucket}/{first.get('Key')}: "
                    f"{first.get('Code')} {first.get('Message', '')}".strip()
                )

    # -- the audit trail (AuditSink) ----------------------------------------------------

    def create_record(self, seq: int, line: str) -> bool:
        return self.create(f"{_AUDIT}{seq:012d}.json", line.encode("utf-8"))

    def read_record(self, seq: int) -> str | None:
        data = self.read(f"{_AUDIT}{seq:012d}.json")
        return data.decode("utf-8") if data is not None else None

    def last_seq(self) -> int:
        keys = self._keys(_AUDIT)  # sorted: the zero-padded seq orders them
        if not keys:
            return 0
        return int(keys[-1].rsplit("/", 1)[-1].removesuffix(".json"))

    def write_anchor(self, text: str) -> None:
        self.write(_AUDIT_ANCHOR, text.encode("utf-8"))

    def read_anchor(self) -> str | None:
        data = self.read(_AUDIT_ANCHOR)
        return data.decode("utf-8") if data is not None else None

    def event_lines(self) -> list[str]:
        lines: list[str] = []
        for full in self._keys(_AUDIT):
            data = self.read(full.removeprefix(self.prefix))
            if data is not None:
                lines.append(data.decode("utf-8"))
        return lines
