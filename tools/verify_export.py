#!/usr/bin/env python3
"""Check an arledger export against docs/canonical-encoding.md.

An export (`arledger export`) has one JSON line per event: its envelope and
payload in readable form, its canonical bytes (`canonical`, hex) and its
hashes. For every line this script

1. rebuilds the canonical bytes from the readable fields, following only
   the rules of docs/canonical-encoding.md, and compares them with
   `canonical`, naming the first field whose bytes differ;
2. checks content_hash = SHA-256(canonical) and
   hash = SHA-256(prev_hash || position as 8 bytes big-endian || content_hash);
3. checks that positions are consecutive and that each line's prev_hash is
   the previous line's hash (the first line's prev_hash is taken as given,
   except at position 1, where it must be 32 zero bytes).

The format is read from the document at run time: its generated tables
(event types and schema versions, role names, the payload fields of every
event type, nested types, enumerations with their variant numbers) and the
tables of old schema versions (section 9). The envelope (section 3) and the
primitive encodings (section 4) are written out below, section by section;
the script first checks that the document's tables of them still list
exactly what it implements, and refuses to run otherwise.

Python 3 standard library only. Usage:

    python3 tools/verify_export.py [--doc docs/canonical-encoding.md] [EXPORT]

EXPORT is a file, or `-` / nothing for stdin. Exit status: 0 when every line
checks; 1 at the first mismatch (the message names its position and field);
2 when the document or the input cannot be read.
"""

import argparse
import datetime
import hashlib
import json
import re
import sys
import uuid
from pathlib import Path

DEFAULT_DOC = Path(__file__).resolve().parent.parent / "docs" / "canonical-encoding.md"


class DocError(Exception):
    """The document cannot be read as the format this script implements."""


class Mismatch(Exception):
    """A line does not agree with the document or with the chain."""

    def __init__(self, position, field, message):
        super().__init__(message)
        self.position = position
        self.field = field
        self.message = message


# ---------------------------------------------------------------------------
# Reading the document.

GENERATED = re.compile(r"<!-- generated: ([\w-]+) -->\n(.*?)<!-- end generated -->", re.S)
HEADING = re.compile(r"^#{3,4} (\S.*)$")
LINK = re.compile(r"^\[(\w+)\]\(#[\w-]+\)$")


def table_rows(lines):
    """The body rows of the markdown tables in `lines`, as lists of cells
    (the header row and the |---| row are left out)."""
    rows = []
    previous_was_table = False
    for line in lines:
        if not line.startswith("|"):
            previous_was_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if not previous_was_table or set("".join(cells)) <= set("-: "):
            # A table's first row is its header; the next its separator.
            previous_was_table = True
            continue
        rows.append(cells)
    return rows


def first_table(text):
    """The body rows of the first table in `text`."""
    lines = text.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith("|")), len(lines))
    end = next((i for i in range(start, len(lines)) if not lines[i].startswith("|")), len(lines))
    return table_rows(lines[start:end])


def blocks(text):
    """The text split at `###`/`####` headings: {heading: lines under it}."""
    out, current = {}, None
    for line in text.splitlines():
        match = HEADING.match(line)
        if match:
            current = match.group(1).strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return out


def section(text, number):
    """The body of the document's section `## <number>. ...`."""
    match = re.search(rf"^## {number}\. .*?$(.*?)(?=^## \d+\. |\Z)", text, re.S | re.M)
    if not match:
        raise DocError(f"the document has no section {number}")
    return match.group(1)


def unquote(cell):
    """A table cell without its `backquotes`."""
    return cell.strip().strip("`")


def parse_encoding(text):
    """A field's encoding as the document writes it, as a tuple:
    ("option", inner), ("sequence", inner), ("enum", name), ("struct", name)
    or a primitive (name,)."""
    text = text.strip()
    for prefix, kind in (("option of ", "option"), ("sequence of ", "sequence")):
        if text.startswith(prefix):
            return (kind, parse_encoding(text[len(prefix):]))
    if text.startswith("enum "):
        match = LINK.match(text[len("enum "):])
        if match:
            return ("enum", match.group(1))
    match = LINK.match(text)
    if match:
        return ("struct", match.group(1))
    if text in PRIMITIVES:
        return (text,)
    raise DocError(f"the document names an encoding this script does not know: {text!r}")


def field_table(lines, where):
    """[(field name, encoding)] from a `| # | field | encoding | bytes |` table."""
    fields = []
    for cells in table_rows(lines):
        if len(cells) != 4 or not cells[0].isdigit():
            raise DocError(f"{where}: unexpected table row {cells}")
        fields.append((unquote(cells[1]), parse_encoding(cells[2])))
    if not fields:
        raise DocError(f"{where}: no fields")
    return fields


class Spec:
    """Everything the verifier takes from the document."""

    def __init__(self, text):
        sections = dict(GENERATED.findall(text))
        for name in ("event-types", "roles", "payload-fields", "nested-types", "enums"):
            if name not in sections:
                raise DocError(f"the document has no generated section {name!r}")
        check_envelope_table(section(text, 3))
        check_primitive_table(section(text, 4))
        self.event_types, self.stream_ids = self._event_types(sections["event-types"])
        self.roles = self._roles(sections["roles"])
        self.payloads = self._payloads(sections["payload-fields"])
        self.payloads.update(self._old_versions(section(text, 9)))
        self.structs = {
            name: field_table(lines, f"nested type {name}")
            for name, lines in blocks(sections["nested-types"]).items()
        }
        self.enums = self._enums(sections["enums"])
        match = re.search(r"in the namespace\s+`([0-9a-f-]{36})`", section(text, 3))
        if not match:
            raise DocError("section 3 names no namespace for derived stream ids")
        self.stream_namespace = uuid.UUID(match.group(1))
        self._check_references()

    @staticmethod
    def _event_types(body):
        """{type name: current schema version}, {type name: stream id column}."""
        versions, streams = {}, {}
        for cells in table_rows(body.splitlines()):
            name = LINK.match(cells[0])
            version = re.match(r"(\d+):", cells[2])
            if not name or not version:
                raise DocError(f"event types: unexpected row {cells}")
            versions[name.group(1)] = int(version.group(1))
            streams[name.group(1)] = cells[3]
        return versions, streams

    @staticmethod
    def _roles(body):
        """{role name: its bytes in the envelope}, checked against the rule
        (one length byte, then the ASCII name)."""
        roles = {}
        for cells in table_rows(body.splitlines()):
            name = unquote(cells[0])
            given = bytes.fromhex(unquote(cells[1]))
            if given != short_field(name.encode("ascii")):
                raise DocError(f"roles: the bytes given for {name!r} break the rule")
            roles[name] = given
        return roles

    @staticmethod
    def _payloads(body):
        """{(type name, schema version): fields} at the current versions."""
        payloads = {}
        for name, lines in blocks(body).items():
            version = re.search(r"Schema version (\d+)\.", "\n".join(lines))
            if not version:
                raise DocError(f"payload fields of {name}: no schema version")
            payloads[(name, int(version.group(1)))] = field_table(lines, f"payload of {name}")
        return payloads

    @staticmethod
    def _old_versions(body):
        """{(type name, schema version): fields} of section 9's old versions."""
        old = {}
        for heading, lines in blocks(body).items():
            match = re.fullmatch(r"(\w+) version (\d+)", heading)
            if match:
                key = (match.group(1), int(match.group(2)))
                old[key] = field_table(lines, f"{heading} (section 9)")
        return old

    @staticmethod
    def _enums(body):
        """{enum name: {variant name: number}}."""
        enums = {}
        for name, lines in blocks(body).items():
            variants = {}
            for cells in table_rows(lines):
                variants[unquote(cells[0])] = int(cells[1])
            enums[name] = variants
        return enums

    def _check_references(self):
        """Every enum and struct a table names has its own table."""
        def walk(encoding, where):
            kind = encoding[0]
            if kind in ("option", "sequence"):
                walk(encoding[1], where)
            elif kind == "enum" and encoding[1] not in self.enums:
                raise DocError(f"{where} names enum {encoding[1]}, which has no table")
            elif kind == "struct" and encoding[1] not in self.structs:
                raise DocError(f"{where} names type {encoding[1]}, which has no table")

        for key, fields in list(self.payloads.items()) + list(self.structs.items()):
            for field, encoding in fields:
                walk(encoding, f"{key} {field}")


# What this script implements of sections 3 and 4, checked against the
# document's own tables before anything else.
ENVELOPE = [
    ("1", "format"),
    ("8", "position"),
    ("16", "stream id"),
    ("8", "stream version"),
    ("16", "event id"),
    ("1 + n", "event type name"),
    ("2", "schema version"),
    ("8", "recorded_at"),
    ("16", "command id"),
    ("1 + n", "actor's user id"),
    ("1 + n", "actor's role"),
    ("1 or 17", "correlation id"),
    ("4 + n", "payload"),
]
PRIMITIVES = {
    "u8": "1",
    "u32": "4",
    "u64": "8",
    "string": "8 + n",
    "sequence of X": "8 + items",
    "option of X": "1 or 1 + X",
    "enum": "4 + fields",
    "struct": "sum of fields",
    "UUID": "24",
    "currency": "3",
    "decimal": "16",
    "date": "4",
    "GTIN": "22",
}


# The segment of the payload's length, named last (see first_difference).
PAYLOAD_LENGTH = "payload (its length)"


def check_envelope_table(body):
    """Section 3's envelope table lists exactly the fields built below."""
    rows = [(cells[1], cells[2]) for cells in first_table(body)]
    if rows != ENVELOPE:
        raise DocError(
            "the document's envelope (section 3) is not the one this script implements: "
            f"it lists {rows}"
        )
    if "always `01`" not in body:
        raise DocError("the document's format byte (section 3) is not 01")


def check_primitive_table(body):
    """Section 4's first table lists exactly the encodings implemented below."""
    listed = {cells[0]: cells[1] for cells in first_table(body)}
    if listed != PRIMITIVES:
        raise DocError(
            "the document's payload primitives (section 4) are not the ones this script "
            f"implements: it lists {listed}"
        )


# ---------------------------------------------------------------------------
# Encoding: each field's bytes are kept with the field's name, so that the
# first difference from the canonical bytes can be named.


class Encoder:
    """Canonical bytes as a list of (field, bytes) segments."""

    def __init__(self, spec, position):
        self.spec = spec
        self.position = position
        self.segments = []

    def put(self, field, data):
        self.segments.append((field, bytes(data)))

    def bad(self, field, message):
        return Mismatch(self.position, field, message)

    def length(self):
        return sum(len(data) for _, data in self.segments)

    # Section 3: the envelope (integers big-endian).

    def envelope(self, line, payload_segments, payload_len):
        spec = self.spec
        self.put("format", b"\x01")
        self.put("position", self.uint(line["position"], 8, "position", "big"))
        self.put("stream_id", self.uuid_bytes(line["stream_id"], "stream_id"))
        self.put("stream_version", self.uint(line["stream_version"], 8, "stream_version", "big"))
        self.put("event_id", self.uuid_bytes(line["event_id"], "event_id"))
        event_type = line["event_type"]
        if event_type not in spec.event_types:
            raise self.bad("event_type", f"{event_type!r} is not an event type of the document")
        self.put("event_type", short_field(event_type.encode("ascii")))
        self.put("schema_version", self.uint(line["schema_version"], 2, "schema_version", "big"))
        micros = line["recorded_at_micros"]
        if type(micros) is not int or not -(2**63) <= micros < 2**63:
            raise self.bad("recorded_at_micros", f"{micros!r} is not an i64")
        self.put("recorded_at_micros", micros.to_bytes(8, "big", signed=True))
        self.put("command_id", self.uuid_bytes(line["command_id"], "command_id"))
        self.envelope_actor(line["actor"])
        if line["correlation_id"] is None:
            self.put("correlation_id", b"\x00")
        else:
            correlation = self.uuid_bytes(line["correlation_id"], "correlation_id")
            self.put("correlation_id", b"\x01" + correlation)
        self.put(PAYLOAD_LENGTH, payload_len.to_bytes(4, "big"))
        self.segments.extend(payload_segments)

    def envelope_actor(self, actor):
        if not isinstance(actor, dict) or set(actor) != {"user_id", "role"}:
            raise self.bad("actor", "must be an object with exactly user_id and role")
        user_id = actor["user_id"]
        if not isinstance(user_id, str) or not 1 <= len(user_id.encode("utf-8")) <= 255:
            raise self.bad("actor.user_id", "must be a string of 1 to 255 bytes")
        self.put("actor.user_id", short_field(user_id.encode("utf-8")))
        if actor["role"] not in self.spec.roles:
            raise self.bad("actor.role", f"{actor['role']!r} is not a role of the document")
        self.put("actor.role", self.spec.roles[actor["role"]])

    # Sections 4, 6, 7 and 8: the payload (integers little-endian).

    def payload(self, fields, value, path):
        self.struct(fields, value, path)

    def struct(self, fields, value, path):
        if not isinstance(value, dict):
            raise self.bad(path, "must be an object")
        names = [name for name, _ in fields]
        extra = [key for key in value if key not in names]
        missing = [name for name in names if name not in value]
        if extra or missing:
            field = f"{path}.{(extra or missing)[0]}"
            problem = "is not a field of the document's table" if extra else "is missing"
            raise self.bad(field, problem)
        for name, encoding in fields:
            self.value(encoding, value[name], f"{path}.{name}")

    def value(self, encoding, value, path):
        kind = encoding[0]
        if kind == "option":
            if value is None:
                self.put(path, b"\x00")
            else:
                self.put(path, b"\x01")
                self.value(encoding[1], value, path)
        elif kind == "sequence":
            if not isinstance(value, list):
                raise self.bad(path, "must be an array")
            self.put(path, len(value).to_bytes(8, "little"))
            for i, item in enumerate(value):
                self.value(encoding[1], item, f"{path}[{i}]")
        elif kind == "enum":
            variants = self.spec.enums[encoding[1]]
            if value not in variants:
                raise self.bad(path, f"{value!r} is not a variant of {encoding[1]}")
            self.put(path, variants[value].to_bytes(4, "little"))
        elif kind == "struct":
            self.struct(self.spec.structs[encoding[1]], value, path)
        else:
            self.put(path, self.primitive(kind, value, path))

    def primitive(self, kind, value, path):
        """The bytes of one primitive value (section 4's table)."""
        if kind in ("u8", "u32", "u64"):
            return self.uint(value, {"u8": 1, "u32": 4, "u64": 8}[kind], path, "little")
        if kind == "string":
            if not isinstance(value, str):
                raise self.bad(path, "must be a string")
            return string_field(value.encode("utf-8"))
        if kind == "UUID":
            return (16).to_bytes(8, "little") + self.uuid_bytes(value, path)
        if kind == "currency":
            if not isinstance(value, str) or not re.fullmatch(r"[A-Z]{3}", value):
                raise self.bad(path, f"{value!r} is not a currency code")
            return value.encode("ascii")
        if kind == "GTIN":
            if not isinstance(value, str) or not re.fullmatch(r"[0-9]{14}", value):
                raise self.bad(path, f"{value!r} is not a GTIN of 14 digits")
            return string_field(value.encode("ascii"))
        if kind == "decimal":
            return self.decimal(value, path)
        if kind == "date":
            return self.date(value, path)
        raise DocError(f"no rule for {kind}")

    def uint(self, value, size, path, order):
        if type(value) is not int or not 0 <= value < 2 ** (8 * size):
            raise self.bad(path, f"{value!r} is not an unsigned {8 * size}-bit integer")
        return value.to_bytes(size, order)

    def uuid_bytes(self, value, path):
        """A UUID's 16 bytes in the order of its written form (section 3)."""
        try:
            parsed = uuid.UUID(value)
        except (TypeError, ValueError, AttributeError):
            raise self.bad(path, f"{value!r} is not a UUID") from None
        if str(parsed) != value:
            raise self.bad(path, f"{value!r} is not a UUID written hyphenated in lower case")
        return parsed.bytes

    def decimal(self, value, path):
        """Section 4, Decimals: flags (scale in bits 16-23, sign in bit 31),
        then the 96-bit mantissa, four little-endian 32-bit words."""
        text = value if isinstance(value, str) else ""
        match = re.fullmatch(r"(-?)(0|[1-9][0-9]*)(?:\.([0-9]+))?", text)
        if not match:
            raise self.bad(path, f"{value!r} is not a decimal written as -?digits[.digits]")
        sign, whole, fraction = match.group(1), match.group(2), match.group(3) or ""
        scale, mantissa = len(fraction), int(whole + fraction)
        if scale > 28 or mantissa >= 2**96:
            raise self.bad(path, f"{value!r} has more than 28 decimals or 96 bits")
        flags = (scale << 16) | ((1 << 31) if sign else 0)
        return flags.to_bytes(4, "little") + mantissa.to_bytes(12, "little")

    def date(self, value, path):
        """Section 4, Dates: the day number, 0001-01-01 being day 1, i32."""
        try:
            day = datetime.date.fromisoformat(value)
        except (TypeError, ValueError):
            raise self.bad(path, f"{value!r} is not a date YYYY-MM-DD") from None
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise self.bad(path, f"{value!r} is not a date YYYY-MM-DD")
        return day.toordinal().to_bytes(4, "little", signed=True)


def short_field(data):
    """One length byte, then the bytes (envelope names and user ids)."""
    return bytes([len(data)]) + data


def string_field(data):
    """u64 little-endian length, then the bytes (payload strings)."""
    return len(data).to_bytes(8, "little") + data


# ---------------------------------------------------------------------------
# Checking one line.

LINE_KEYS = [
    "position", "stream_id", "stream_version", "event_id", "event_type", "schema_version",
    "recorded_at", "recorded_at_micros", "actor", "command_id", "correlation_id", "payload",
    "canonical", "content_hash", "prev_hash", "hash",
]
ZERO_HASH = bytes(32)


def rebuild(spec, line, position):
    """The canonical bytes of `line` by the document, as named segments."""
    key = (line["event_type"], line["schema_version"])
    fields = spec.payloads.get(key)
    if fields is None:
        field = "event_type" if line["event_type"] not in spec.event_types else "schema_version"
        message = f"the document has no payload table for {key[0]} version {key[1]}"
        raise Mismatch(position, field, message)
    payload = Encoder(spec, position)
    payload.payload(fields, line["payload"], "payload")
    envelope = Encoder(spec, position)
    envelope.envelope(line, payload.segments, payload.length())
    return envelope.segments


def first_difference(segments, canonical, position):
    """Raises a Mismatch naming the first segment whose bytes are not the
    canonical bytes at its offset. The payload's length is named only when
    no payload field differs: a field edited to another length changes it
    too, and the field is what the reader needs to know."""
    offset, length_differs = 0, None
    for field, data in segments:
        stored = canonical[offset:offset + len(data)]
        if stored != data:
            difference = Mismatch(
                position, field,
                f"the document's rules give {data.hex(' ')} at offset {offset}, "
                f"the canonical bytes hold {stored.hex(' ') or 'nothing'}",
            )
            if field != PAYLOAD_LENGTH:
                raise difference
            length_differs = difference
        offset += len(data)
    if length_differs:
        raise length_differs
    if offset != len(canonical):
        extra = len(canonical) - offset
        raise Mismatch(position, "canonical", f"{extra} bytes more than the fields encode")


def check_recorded_at(line, position):
    """`recorded_at` (RFC 3339, UTC, microseconds) says what the micros say."""
    text = line["recorded_at"]
    rfc3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z"
    if not isinstance(text, str) or not re.fullmatch(rfc3339, text):
        raise Mismatch(position, "recorded_at", f"{text!r} is not RFC 3339 UTC with microseconds")
    moment = datetime.datetime.fromisoformat(text[:-1] + "+00:00")
    epoch = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
    micros = (moment - epoch) // datetime.timedelta(microseconds=1)
    if micros != line["recorded_at_micros"]:
        raise Mismatch(position, "recorded_at", f"{text} is {micros} µs, not recorded_at_micros")


def check_stream_id(spec, line, position):
    """The stream id is the payload field section 3 names, or the UUID
    version 5 derived from the GTIN (and lot)."""
    rule, payload = spec.stream_ids[line["event_type"]], line["payload"]
    plain = re.fullmatch(r"`(\w+)`", rule)
    if plain:
        expected = payload.get(plain.group(1))
    elif "`gtin` and `lot`" in rule:
        name = f"lot/{payload['gtin']}/{payload['lot']}"
        expected = str(uuid.uuid5(spec.stream_namespace, name))
    elif "`gtin`" in rule:
        expected = str(uuid.uuid5(spec.stream_namespace, f"product/{payload['gtin']}"))
    else:
        raise DocError(f"no rule for the stream id of {line['event_type']}: {rule}")
    if expected != line["stream_id"]:
        raise Mismatch(position, "stream_id", f"is not {expected}, as section 3 derives it")


def hex_field(line, key, position, size=None):
    value = line[key]
    if not isinstance(value, str) or not re.fullmatch(r"(?:[0-9a-f]{2})*", value):
        raise Mismatch(position, key, "is not lower-case hex")
    data = bytes.fromhex(value)
    if size is not None and len(data) != size:
        raise Mismatch(position, key, f"has {len(data)} bytes, not {size}")
    return data


def check_line(spec, line, previous):
    """Checks one line; `previous` is the (position, hash) of the line
    before it, or None for the first. Returns this line's (position, hash)."""
    position = line.get("position") if isinstance(line, dict) else None
    if not isinstance(line, dict) or list(line) != LINE_KEYS:
        keys = list(line) if isinstance(line, dict) else line
        raise Mismatch(position, "line", f"keys {keys} are not {LINE_KEYS}")
    if type(position) is not int or position < 1:
        raise Mismatch(position, "position", f"{position!r} is not a position (an integer from 1)")
    if not isinstance(line["event_type"], str) or type(line["schema_version"]) is not int:
        message = "event_type and schema_version must be a name and a number"
        raise Mismatch(position, "event_type", message)
    if previous is not None and position != previous[0] + 1:
        raise Mismatch(position, "position", f"does not follow position {previous[0]}")
    canonical = hex_field(line, "canonical", position)
    first_difference(rebuild(spec, line, position), canonical, position)
    check_recorded_at(line, position)
    check_stream_id(spec, line, position)
    content = hex_field(line, "content_hash", position, 32)
    if hashlib.sha256(canonical).digest() != content:
        raise Mismatch(position, "content_hash", "is not SHA-256 of the canonical bytes")
    prev = hex_field(line, "prev_hash", position, 32)
    if previous is not None and prev != previous[1]:
        raise Mismatch(position, "prev_hash", "is not the previous line's hash")
    if previous is None and position == 1 and prev != ZERO_HASH:
        raise Mismatch(position, "prev_hash", "must be 32 zero bytes at position 1")
    stored = hex_field(line, "hash", position, 32)
    chained = hashlib.sha256(prev + position.to_bytes(8, "big") + content).digest()
    if chained != stored:
        message = f"is not SHA-256(prev_hash ‖ position ‖ content_hash) = {chained.hex()}"
        raise Mismatch(position, "hash", message)
    return position, stored


def verify(spec, lines):
    """Checks every line in turn; returns (count, first position, last
    (position, hash))."""
    previous, first, count = None, None, 0
    for number, text in enumerate(lines, start=1):
        if not text.strip():
            continue
        try:
            line = json.loads(text)
        except json.JSONDecodeError as e:
            raise Mismatch(None, f"line {number}", f"is not JSON: {e}") from None
        previous = check_line(spec, line, previous)
        first = previous[0] if first is None else first
        count += 1
    return count, first, previous


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("export", nargs="?", default="-", help="export file, or - for stdin")
    parser.add_argument("--doc", type=Path, default=DEFAULT_DOC, help="docs/canonical-encoding.md")
    args = parser.parse_args()
    try:
        spec = Spec(args.doc.read_text(encoding="utf-8"))
        if args.export == "-":
            source = sys.stdin
        else:
            source = open(args.export, encoding="utf-8")
        with source:
            count, first, last = verify(spec, source)
    except (DocError, OSError) as e:
        print(f"verify_export: cannot check: {e}", file=sys.stderr)
        return 2
    except Mismatch as e:
        where = f"position {e.position}" if e.position is not None else "the input"
        print(f"verify_export: MISMATCH at {where}, field {e.field}: {e.message}", file=sys.stderr)
        return 1
    if count == 0:
        print("verify_export: no events in the export")
        return 0
    print(
        f"verify_export: ok: {count} events, positions {first} to {last[0]}, agree with "
        f"{args.doc.name} and their hash chain; hash({last[0]}) = {last[1].hex()}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
