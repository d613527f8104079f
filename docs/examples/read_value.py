#!/usr/bin/env python3
"""Reads values written by the redcompress Kafka Connect sink: value format version 1.

Written from docs/value-format.md alone, as a reader in another language would be, and checked
against the golden vectors in src/test/resources/value-format-vectors/.

As a library (with redis-py, for example):

    import redis
    from read_value import decode, is_our_format, DictionaryCache

    r = redis.Redis()
    dictionaries = DictionaryCache(lambda id: r.get(f"redcompress:dict:{id}"))
    stored = r.get("device:sensor-0042")
    original = decode(stored, dictionaries) if is_our_format(stored) else stored

From the command line:

    read_value.py VALUE_FILE [--dictionaries DIR]   decode one stored value to standard output;
                                                    DIR holds dict-<id>.bin files
    read_value.py --redis URL KEY [PREFIX]          decode the value of KEY in Redis (needs redis-py);
                                                    PREFIX: compression.dictionary.key.prefix
    read_value.py --vectors DIR                     run the golden vectors; exit status 1 on a failure

Needs the `zstandard` package for zstd (codec id 3) and zstd with a dictionary (codec id 5); `lz4`
and `python-snappy` only for values written with those codecs (imported when first needed). gzip
is the standard library's zlib; CRC32C is the table implementation below.
"""

import hashlib
import json
import os
import struct
import sys
import zlib

import zstandard

DEFAULT_MAX_ORIGINAL_LENGTH = 64 << 20
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"
DICTIONARY_MAGIC = b"\x37\xa4\x30\xec"
CODECS = {0: "none", 1: "lz4", 2: "snappy", 3: "zstd", 4: "gzip", 5: "zstd+dictionary"}


class DecodingError(Exception):
    """The value cannot be decoded; the subclass says why."""


class NotOurFormat(DecodingError):
    """First byte 0x00..0xF4: someone else wrote the value."""


class UnsupportedVersion(DecodingError):
    """First byte 0xF6..0xFF: a future format version."""


class Truncated(DecodingError):
    """The value ends before its structure says it should."""


class LengthLimitExceeded(DecodingError):
    """The declared original length is above the reader's cap."""


class UnknownDictionary(DecodingError):
    """Codec id 5 names a dictionary the resolver does not have (the value itself may be fine)."""


class Corrupt(DecodingError):
    """Anything else; `reason` uses the names of the Java CorruptValueException.Reason."""

    def __init__(self, reason, message):
        super().__init__(f"{reason}: {message}")
        self.reason = reason


# ---------------------------------------------------------------- CRC32C (Castagnoli), reflected

def _crc32c_table():
    table = []
    for n in range(256):
        c = n
        for _ in range(8):
            c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
        table.append(c)
    return table


_CRC32C_TABLE = _crc32c_table()


def crc32c(data):
    crc = 0xFFFFFFFF
    for b in data:
        crc = _CRC32C_TABLE[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


# ---------------------------------------------------------------- dictionaries

def derived_dictionary_id(dictionary):
    """The id the format derives from a dictionary's content (its bytes 4..7 do not count)."""
    digest = hashlib.sha256(dictionary[:4] + b"\0\0\0\0" + dictionary[8:]).digest()
    return int.from_bytes(digest[:4], "big") % ((1 << 21) - (1 << 15)) + (1 << 15)


def embedded_dictionary_id(dictionary):
    """The id written in bytes 4..7 of a zstd dictionary, little-endian."""
    return int.from_bytes(dictionary[4:8], "little")


class DictionaryCache:
    """Resolves dictionary ids with `lookup(id) -> bytes or None` and keeps what it returned.

    Dictionaries never change once stored, so nothing is looked up twice. A lookup that fails
    (Redis is down) raises its own exception, which decode() lets through.
    """

    def __init__(self, lookup):
        self._lookup = lookup
        self._cache = {}

    def __call__(self, dictionary_id):
        cached = self._cache.get(dictionary_id)
        if cached is not None:
            return cached
        data = self._lookup(dictionary_id)
        if data is None:
            raise UnknownDictionary(f"no zstd dictionary {dictionary_id} (key <prefix>:{dictionary_id} in Redis)")
        data = bytes(data)
        if len(data) <= 8 or data[:4] != DICTIONARY_MAGIC:
            raise UnknownDictionary(f"dictionary {dictionary_id}: {len(data)} bytes that are not a zstd dictionary")
        if embedded_dictionary_id(data) != dictionary_id:
            raise UnknownDictionary(f"asked for dictionary {dictionary_id}, got dictionary "
                                    f"{embedded_dictionary_id(data)} (its bytes 4..7)")
        d = zstandard.ZstdCompressionDict(data, dict_type=zstandard.DICT_TYPE_FULLDICT)
        self._cache[dictionary_id] = d
        return d


def no_dictionaries(dictionary_id):
    raise UnknownDictionary(f"the value names zstd dictionary {dictionary_id}, and this reader has none")


# ---------------------------------------------------------------- header

def _varint(value, p, what, limit):
    n, shift, count = 0, 0, 0
    while True:
        if p >= len(value):
            raise Truncated(f"value ends inside the {what} varint")
        b = value[p]
        p += 1
        count += 1
        n |= (b & 0x7F) << shift
        if not b & 0x80:
            if b == 0 and count > 1:
                raise Corrupt("BAD_HEADER", f"{what} varint is overlong (not minimal)")
            break
        if count == 5:
            raise Corrupt("BAD_HEADER", f"{what} varint is longer than 5 bytes")
        shift += 7
    if n > limit:
        raise Corrupt("BAD_HEADER", f"{what} {n} is above the format maximum {limit}")
    return n, p


def parse_header(value, max_len=DEFAULT_MAX_ORIGINAL_LENGTH):
    """Returns (codec id, original length, crc or None, dictionary id or 0, payload offset)."""
    if not value:
        raise Truncated("empty value")
    if value[0] < 0xF5:
        raise NotOurFormat(f"first byte 0x{value[0]:02X}")
    if value[0] > 0xF5:
        raise UnsupportedVersion(f"first byte 0x{value[0]:02X}")
    if len(value) < 2:
        raise Truncated("no descriptor")
    codec, flags = value[1] >> 4, value[1] & 0x0F
    if codec not in CODECS:
        raise Corrupt("BAD_HEADER", f"unknown codec id {codec} (written by a newer encoder?)")
    if flags & 0x0E:
        raise Corrupt("BAD_HEADER", f"reserved flag bits 0x{flags & 0x0E:X}")
    n, p = _varint(value, 2, "original-length", 0x7FFFFFFF)
    if n > max_len:
        raise LengthLimitExceeded(f"declared {n} bytes, above the cap {max_len}")
    crc = None
    if flags & 1:
        if len(value) - p < 4:
            raise Truncated("value ends inside the CRC32C")
        crc = struct.unpack(">I", value[p:p + 4])[0]
        p += 4
    dictionary_id = 0
    if codec == 5:
        dictionary_id, p = _varint(value, p, "dictionary-id", 0xFFFFFFFF)
        if dictionary_id == 0:
            raise Corrupt("BAD_HEADER", "dictionary id 0 is reserved")
    return codec, n, crc, dictionary_id, p


# ---------------------------------------------------------------- zstd frames (RFC 8878)

def zstd_frame(frame):
    """Walks one standard frame: returns (its length, content size or None, dictionary id or 0)."""
    if len(frame) < 5:
        raise Truncated("zstd frame header incomplete")
    fhd = frame[4]
    fcs_flag, single_segment, checksum, did_flag = fhd >> 6, fhd >> 5 & 1, fhd >> 2 & 1, fhd & 3
    if fhd & 0x08:
        raise Corrupt("CODEC_FAILURE", "zstd frame header reserved bit set")
    did_size = (0, 1, 2, 4)[did_flag]
    fcs_size = (1 if single_segment else 0, 2, 4, 8)[fcs_flag]
    p = 5 + (0 if single_segment else 1)
    if len(frame) < p + did_size + fcs_size:
        raise Truncated("zstd frame header incomplete")
    frame_dictionary_id = int.from_bytes(frame[p:p + did_size], "little")
    p += did_size
    content_size = None
    if fcs_size:
        content_size = int.from_bytes(frame[p:p + fcs_size], "little") + (256 if fcs_size == 2 else 0)
        p += fcs_size
    while True:
        if len(frame) < p + 3:
            raise Truncated("zstd frame ends before its last block")
        header = int.from_bytes(frame[p:p + 3], "little")
        last, block_type, size = header & 1, header >> 1 & 3, header >> 3
        if block_type == 3:
            raise Corrupt("CODEC_FAILURE", "reserved zstd block type")
        p += 3 + (1 if block_type == 1 else size)   # an RLE block holds one byte
        if len(frame) < p:
            raise Truncated("zstd frame ends inside a block")
        if last:
            break
    p += 4 if checksum else 0
    if len(frame) < p:
        raise Truncated("zstd frame ends inside its checksum")
    return p, content_size, frame_dictionary_id


def _zstd(frame, n, dictionary_id, dictionary):
    """Decodes `frame` (magic included), which must be one whole frame producing exactly n bytes."""
    if frame[:4] != ZSTD_MAGIC[:len(frame)]:
        raise Corrupt("CODEC_FAILURE", "no zstd frame magic")
    if len(frame) < 4:
        raise Truncated("zstd payload ends inside the magic")
    size, content_size, frame_dictionary_id = zstd_frame(frame)
    if size < len(frame):
        raise Corrupt("TRAILING_BYTES", f"{len(frame) - size} bytes after the zstd frame")
    if content_size is not None and content_size != n:
        raise Corrupt("LENGTH_MISMATCH", f"declared {n} bytes, the zstd frame says {content_size}")
    if frame_dictionary_id not in (0, dictionary_id):
        raise Corrupt("CODEC_FAILURE", f"the zstd frame names dictionary {frame_dictionary_id}, "
                                       f"the header {dictionary_id or 'none'}")
    decompressor = zstandard.ZstdDecompressor(dict_data=dictionary) if dictionary else zstandard.ZstdDecompressor()
    out = decompressor.stream_reader(frame).read(n + 1)   # never more than n + 1 bytes of output
    if len(out) > n:
        raise Corrupt("LENGTH_MISMATCH", f"zstd frame decompresses to more than the declared {n} bytes")
    return out


# ---------------------------------------------------------------- the other codecs

def _lz4(payload, n):
    import lz4.block
    if n > 255 * len(payload) + 64:
        raise Corrupt("LENGTH_MISMATCH", f"an lz4 block of {len(payload)} bytes cannot give {n} bytes")
    return lz4.block.decompress(payload, uncompressed_size=n) if n else b""


def _snappy(payload, n):
    import snappy
    preamble, _ = _varint(payload, 0, "snappy preamble", 0xFFFFFFFF)
    if preamble != n:
        raise Corrupt("LENGTH_MISMATCH", f"declared {n} bytes, the snappy preamble says {preamble}")
    return snappy.uncompress(payload)                  # the raw block format, not the framed one


def _gzip(payload, n):
    d = zlib.decompressobj(wbits=31)                   # exactly one gzip member
    out = d.decompress(payload, n + 1)
    if len(out) > n:
        raise Corrupt("LENGTH_MISMATCH", f"gzip member gives more than the declared {n} bytes")
    if not d.eof:
        raise Truncated("gzip member incomplete")
    if d.unused_data:
        raise Corrupt("TRAILING_BYTES", "bytes after the gzip member")
    return out


# ---------------------------------------------------------------- decode

def is_our_format(value):
    """Whether the value starts with a format marker (0xF5..0xFF); no UTF-8 text or JSON does."""
    return len(value) > 0 and value[0] >= 0xF5


def decode(value, dictionaries=no_dictionaries, max_len=DEFAULT_MAX_ORIGINAL_LENGTH):
    """The original bytes of a stored value, or a DecodingError.

    `dictionaries(id)` returns the zstd dictionary for codec id 5 (a DictionaryCache does), or raises
    UnknownDictionary.
    """
    value = bytes(value)
    codec, n, crc, dictionary_id, p = parse_header(value, max_len)
    payload = value[p:]
    dictionary = dictionaries(dictionary_id) if codec == 5 else None
    try:
        if codec == 0:
            if len(payload) < n:
                raise Truncated("none payload shorter than declared")
            if len(payload) > n:
                raise Corrupt("TRAILING_BYTES", "none payload longer than declared")
            out = payload
        elif codec == 1:
            out = _lz4(payload, n)
        elif codec == 2:
            out = _snappy(payload, n)
        elif codec == 3:
            out = _zstd(payload, n, 0, None)
        elif codec == 4:
            out = _gzip(payload, n)
        else:
            if not payload:
                raise Truncated("zstd-with-dictionary payload is empty")
            out = _zstd(ZSTD_MAGIC + payload, n, dictionary_id, dictionary)   # magicless: put the magic back
    except DecodingError:
        raise
    except Exception as e:                             # any codec library error
        raise Corrupt("CODEC_FAILURE", f"{CODECS[codec]}: {e}") from e
    if len(out) != n:
        raise Corrupt("LENGTH_MISMATCH", f"declared {n} bytes, the payload gave {len(out)}")
    if crc is not None and crc32c(out) != crc:
        raise Corrupt("CHECKSUM_MISMATCH", "CRC32C of the decoded bytes differs from the header's")
    return bytes(out)


# ---------------------------------------------------------------- command line

def _read(path):
    with open(path, "rb") as f:
        return f.read()


def _directory_lookup(directory):
    def lookup(dictionary_id):
        path = os.path.join(directory, f"dict-{dictionary_id}.bin")
        return _read(path) if os.path.exists(path) else None
    return lookup


_KINDS = {NotOurFormat: "not-our-format", UnsupportedVersion: "unsupported-version", Truncated: "truncated",
          Corrupt: "corrupt", LengthLimitExceeded: "length-limit-exceeded", UnknownDictionary: "unknown-dictionary"}


def run_vectors(directory):
    """Checks every golden vector; returns (passed, failed, notes)."""
    with open(os.path.join(directory, "vectors.json"), encoding="utf-8") as f:
        index = json.load(f)
    for d in index.get("dictionaries", []):
        data = _read(os.path.join(directory, d["file"]))
        if embedded_dictionary_id(data) != d["id"] or (derived_dictionary_id(data) == d["id"]) != d["derivedId"]:
            raise SystemExit(f"{d['file']}: id {embedded_dictionary_id(data)}, derived "
                             f"{derived_dictionary_id(data)}; vectors.json says {d['id']}")
    passed, failed, notes = 0, 0, []
    for v in index["vectors"]:
        named = v.get("dictionary")
        if named:
            data = _read(os.path.join(directory, named))
            dictionaries = DictionaryCache(lambda _id, data=data: data)
        else:
            dictionaries = DictionaryCache(_directory_lookup(os.path.join(directory, "dictionaries")))
        max_len = v.get("maxOriginalLength", DEFAULT_MAX_ORIGINAL_LENGTH)
        value = _read(os.path.join(directory, v["encoded"]))
        try:
            out = decode(value, dictionaries, max_len)
            outcome, reason = ("ok", None) if v["expect"] != "ok" or out == _read(
                os.path.join(directory, v["original"])) else ("wrong-bytes", None)
        except DecodingError as e:
            outcome, reason = _KINDS[type(e)], getattr(e, "reason", None)
            if v["expect"] != outcome:
                outcome += f" ({e})"
        if outcome == v["expect"]:
            passed += 1
            if v.get("reason") and reason != v["reason"]:
                notes.append(f"{v['name']}: {outcome} as expected, reason {reason} where Java says {v['reason']}")
        else:
            failed += 1
            print(f"FAIL {v['name']}: expected {v['expect']}, got {outcome}")
    return passed, failed, notes


def main(argv):
    if len(argv) == 2 and argv[0] == "--vectors":
        passed, failed, notes = run_vectors(argv[1])
        for note in notes:
            print(f"note: {note}")
        print(f"golden vectors: {passed} passed, {failed} failed")
        return 1 if failed else 0
    if len(argv) in (3, 4) and argv[0] == "--redis":
        import redis
        r = redis.Redis.from_url(argv[1])
        prefix = argv[3] if len(argv) == 4 else "redcompress:dict"
        dictionaries = DictionaryCache(lambda dictionary_id: r.get(f"{prefix}:{dictionary_id}"))
        value = r.get(argv[2])
        if value is None:
            print(f"no key {argv[2]}", file=sys.stderr)
            return 1
        sys.stdout.buffer.write(decode(value, dictionaries) if is_our_format(value) else value)
        return 0
    if len(argv) in (1, 3) and not argv[0].startswith("-") and (len(argv) == 1 or argv[1] == "--dictionaries"):
        lookup = _directory_lookup(argv[2]) if len(argv) == 3 else (lambda _id: None)
        sys.stdout.buffer.write(decode(_read(argv[0]), DictionaryCache(lookup)))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
