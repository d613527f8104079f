package io.redcompress.connect.codec;

import io.redcompress.connect.codec.CorruptValueException.Reason;
import java.util.zip.CRC32;
import java.util.zip.DataFormatException;
import java.util.zip.Deflater;
import java.util.zip.Inflater;

/**
 * Codec {@code gzip}: exactly one gzip member (RFC 1952). The encoder writes a fixed 10-byte header
 * (no name, MTIME 0, OS 255 "unknown", XFL 2/4 for levels 9/1) so that output depends only on the
 * input, the level and the zlib in use. The decoder accepts any valid member header (FEXTRA, FNAME,
 * FCOMMENT, FHCRC) as written by gzip tools, inflates into an array of exactly the declared length,
 * detects both shorter and longer streams, and checks the trailer's CRC32 and ISIZE.
 *
 * <p>An {@link Inflater} is created for every call and {@code end()}-ed in a {@code finally}. A
 * {@link Deflater} belongs to one {@link Compression} ({@link #open(int)}): {@link #compress} creates
 * and ends one per call, an {@link EncodingSession} keeps one and {@code reset()}s it before each
 * value, which gives the same output. Neither is ever pooled or shared between threads.
 */
final class GzipBlockCompressor implements BlockCompressor {

    static final GzipBlockCompressor INSTANCE = new GzipBlockCompressor();

    private static final int HEADER_LENGTH = 10;
    private static final int TRAILER_LENGTH = 8;
    private static final int FHCRC = 0x02;
    private static final int FEXTRA = 0x04;
    private static final int FNAME = 0x08;
    private static final int FCOMMENT = 0x10;
    private static final int RESERVED_FLAGS = 0xE0;
    /** Deflate expands at most 1032:1 (a 258-byte match coded in 2 bits). */
    private static final long MAX_EXPANSION = 1032;

    private GzipBlockCompressor() {
    }

    @Override
    public Codec codec() {
        return Codec.GZIP;
    }

    @Override
    public String implementation() {
        return "the JDK's zlib";
    }

    /** Output that is not smaller than the input is useless, so the encoder never needs more room. */
    @Override
    public long maxCompressedLength(int srcLength) {
        return srcLength;
    }

    /** A raw-deflate {@link Deflater} at {@code level}, for one thread; {@code close()} ends it. */
    @Override
    public Compression open(int level) {
        return new DeflaterCompression(level);
    }

    @Override
    public byte[] decompress(byte[] src, int off, int len, int originalLength) {
        int end = off + len;
        int p = parseHeader(src, off, end);
        // Deflate cannot produce more than MAX_EXPANSION bytes per input byte, so a forged length far
        // above what the payload can hold never gets its full buffer: we inflate into the smaller
        // bound, and the stream then ends (corrupt: too short) or runs out of input (truncated).
        long possible = MAX_EXPANSION * (end - p) + 1024;
        int capacity = (int) Math.min(originalLength, possible);
        byte[] out = new byte[capacity];
        int n = 0;
        int remaining;
        Inflater inflater = new Inflater(true);
        try {
            inflater.setInput(src, p, end - p);
            int stalls = 0;
            while (n < capacity) {
                int r = inflater.inflate(out, n, capacity - n);
                n += r;
                if (r == 0) {
                    if (inflater.finished() || inflater.needsInput() || inflater.needsDictionary() || ++stalls > 3) {
                        break;
                    }
                } else {
                    stalls = 0;
                }
            }
            // The output is full (or the stream stopped). Let the inflater reach the end of the
            // stream; any further output byte means the member is longer than declared.
            byte[] probe = new byte[1];
            int tries = 0;
            while (!inflater.finished() && !inflater.needsInput() && !inflater.needsDictionary() && tries++ < 4) {
                if (inflater.inflate(probe) > 0) {
                    throw new CorruptValueException(Reason.LENGTH_MISMATCH, capacity == originalLength
                            ? "gzip member inflates to more than the declared original length " + originalLength
                            : "gzip member inflates to more than deflate's maximum expansion of its "
                                    + (end - p) + " bytes");
                }
            }
            if (!inflater.finished()) {
                if (inflater.needsDictionary()) {
                    throw new CorruptValueException(Reason.CODEC_FAILURE,
                            "gzip deflate stream asks for a preset dictionary");
                }
                if (inflater.needsInput()) {
                    throw new TruncatedValueException("gzip member ends inside its deflate stream after "
                            + n + " of " + originalLength + " declared bytes");
                }
                throw new CorruptValueException(Reason.CODEC_FAILURE, "gzip deflate stream did not finish");
            }
            remaining = inflater.getRemaining();
        } catch (DataFormatException e) {
            throw new CorruptValueException(Reason.CODEC_FAILURE,
                    "gzip deflate stream is malformed: " + e.getMessage(), e);
        } finally {
            inflater.end();
        }
        if (n != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "declared original length " + originalLength
                    + " but gzip payload decompressed to " + n + " bytes");
        }
        if (remaining < TRAILER_LENGTH) {
            throw new TruncatedValueException("gzip member ends inside its 8-byte trailer (" + remaining
                    + " bytes present)");
        }
        int t = end - remaining;
        int storedCrc = getIntLe(src, t);
        int storedSize = getIntLe(src, t + 4);
        CRC32 crc = new CRC32();
        crc.update(out, 0, originalLength);
        if (storedCrc != (int) crc.getValue()) {
            throw new CorruptValueException(Reason.CHECKSUM_MISMATCH, String.format(
                    "gzip CRC32 mismatch: trailer 0x%08X, computed 0x%08X", storedCrc, (int) crc.getValue()));
        }
        if (storedSize != originalLength) {
            throw new CorruptValueException(Reason.LENGTH_MISMATCH, "gzip trailer ISIZE "
                    + Integer.toUnsignedString(storedSize) + " does not match the original length " + originalLength);
        }
        if (remaining > TRAILER_LENGTH) {
            throw new CorruptValueException(Reason.TRAILING_BYTES, (remaining - TRAILER_LENGTH)
                    + " bytes follow the gzip member (only one member is allowed)");
        }
        return out;
    }

    /** Validates the member header and returns the offset of the deflate data. */
    private static int parseHeader(byte[] src, int off, int end) {
        int len = end - off;
        if (len >= 1 && (src[off] & 0xFF) != 0x1F || len >= 2 && (src[off + 1] & 0xFF) != 0x8B) {
            throw new CorruptValueException(Reason.CODEC_FAILURE,
                    "gzip payload does not start with the gzip magic 1F 8B");
        }
        if (len >= 3 && src[off + 2] != 8) {
            throw new CorruptValueException(Reason.CODEC_FAILURE,
                    "gzip compression method " + (src[off + 2] & 0xFF) + " is not 8 (deflate)");
        }
        if (len >= 4 && (src[off + 3] & RESERVED_FLAGS) != 0) {
            throw new CorruptValueException(Reason.CODEC_FAILURE, String.format(
                    "gzip header sets reserved flag bits 0x%02X", src[off + 3] & RESERVED_FLAGS));
        }
        need(off, HEADER_LENGTH, end, "header");
        int flags = src[off + 3] & 0xFF;
        int p = off + HEADER_LENGTH;
        if ((flags & FEXTRA) != 0) {
            need(p, 2, end, "FEXTRA length");
            int xlen = (src[p] & 0xFF) | (src[p + 1] & 0xFF) << 8;
            p += 2;
            need(p, xlen, end, "FEXTRA field");
            p += xlen;
        }
        if ((flags & FNAME) != 0) {
            p = skipZeroTerminated(src, p, end, "FNAME");
        }
        if ((flags & FCOMMENT) != 0) {
            p = skipZeroTerminated(src, p, end, "FCOMMENT");
        }
        if ((flags & FHCRC) != 0) {
            need(p, 2, end, "FHCRC");
            CRC32 crc = new CRC32();
            crc.update(src, off, p - off);
            int expected = (int) crc.getValue() & 0xFFFF;
            int stored = (src[p] & 0xFF) | (src[p + 1] & 0xFF) << 8;
            if (stored != expected) {
                throw new CorruptValueException(Reason.CHECKSUM_MISMATCH, String.format(
                        "gzip header CRC16 mismatch: stored 0x%04X, computed 0x%04X", stored, expected));
            }
            p += 2;
        }
        return p;
    }

    private static void need(int p, int count, int end, String field) {
        if (end - p < count) {
            throw new TruncatedValueException("gzip member ends inside its " + field + " (" + Math.max(0, end - p)
                    + " of " + count + " bytes present)");
        }
    }

    private static int skipZeroTerminated(byte[] src, int p, int end, String field) {
        for (int i = p; i < end; i++) {
            if (src[i] == 0) {
                return i + 1;
            }
        }
        throw new TruncatedValueException("gzip member ends inside its zero-terminated " + field + " field");
    }

    private static int putIntLe(byte[] dst, int p, int v) {
        dst[p] = (byte) v;
        dst[p + 1] = (byte) (v >>> 8);
        dst[p + 2] = (byte) (v >>> 16);
        dst[p + 3] = (byte) (v >>> 24);
        return p + 4;
    }

    private static int getIntLe(byte[] src, int p) {
        return (src[p] & 0xFF) | (src[p + 1] & 0xFF) << 8 | (src[p + 2] & 0xFF) << 16 | (src[p + 3] & 0xFF) << 24;
    }

    /** One gzip member per value from one {@link Deflater}, reset before each value. */
    private static final class DeflaterCompression implements Compression {

        private final int level;
        private final Deflater deflater;

        DeflaterCompression(int level) {
            this.level = level;
            this.deflater = new Deflater(level, true);
        }

        @Override
        public int compress(byte[] src, int srcOff, int srcLen, byte[] dst, int dstOff) {
            if (srcLen <= HEADER_LENGTH + TRAILER_LENGTH) {
                return -1;
            }
            int p = dstOff;
            dst[p++] = 0x1F;
            dst[p++] = (byte) 0x8B;
            dst[p++] = 8; // CM = deflate
            dst[p++] = 0; // FLG
            dst[p++] = 0; // MTIME = 0: no time stamp available
            dst[p++] = 0;
            dst[p++] = 0;
            dst[p++] = 0;
            dst[p++] = (byte) (level == Deflater.BEST_COMPRESSION ? 2 : level == Deflater.BEST_SPEED ? 4 : 0);
            dst[p++] = (byte) 0xFF; // OS = unknown
            int end = dstOff + srcLen - TRAILER_LENGTH;
            // a value given up half way (not smaller) or failed leaves the Deflater mid-stream: reset first, always
            deflater.reset();
            deflater.setInput(src, srcOff, srcLen);
            deflater.finish();
            int stalls = 0;
            while (!deflater.finished()) {
                if (p >= end) {
                    return -1; // not smaller than the input
                }
                int n = deflater.deflate(dst, p, end - p);
                p += n;
                if (n == 0 && ++stalls > 3) {
                    throw new IllegalStateException("Deflater made no progress");
                }
            }
            CRC32 crc = new CRC32();
            crc.update(src, srcOff, srcLen);
            p = putIntLe(dst, p, (int) crc.getValue());
            p = putIntLe(dst, p, srcLen);
            return p - dstOff;
        }

        @Override
        public void close() {
            deflater.end();
        }
    }
}
