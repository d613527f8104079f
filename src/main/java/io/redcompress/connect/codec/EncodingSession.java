package io.redcompress.connect.codec;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * Encodes many values, one after the other on one thread, with the settings of the
 * {@link ValueEncoder} that made it ({@link ValueEncoder#session()}), for less CPU per value than the
 * encoder's own stateless methods:
 * <ul>
 *   <li>the codec's state lives as long as the session: one native zstd context at the configured
 *       level, one {@code Deflater} for gzip (lz4, snappy and none have none);</li>
 *   <li>values are compressed into a scratch buffer kept between values (grown when a value needs
 *       more; dropped after a value that needed more than {@value #MAX_RETAINED_SCRATCH} bytes, so one
 *       large value does not hold memory for the session's life), and each result is copied into a
 *       new array of exactly its length, which is all a value allocates;</li>
 *   <li>compression that does not pay for itself is skipped: per size class of the original (powers
 *       of two: 64-127 bytes, 128-255, ...), once 64 attempts in a row saved less than 3% of the bytes
 *       they took in, only one value in 32 is compressed (a probe), until 8 probes in a row save 3% or
 *       more. A skipped value is stored exactly like one that did not shrink: codec none, checksum as
 *       configured. The rule counts values only (no clock, no randomness), so a given sequence of
 *       values always gives the same bytes.</li>
 *
 *   <li>values compressed with a zstd dictionary ({@link #encode(byte[], ZstdDictionary)}) use a second
 *       native context, kept too, which references the dictionary's digested form and loads it again
 *       only when a value names another dictionary than the one before.</li>
 * </ul>
 *
 * <p>Every value is valid and decodes with {@link ValueDecoder}; where no value was skipped the bytes
 * are those of {@link ValueEncoder#encode(byte[])}. Returned arrays belong to the caller: the session
 * keeps no reference to them and never writes to them again.
 *
 * <pre>{@code
 * try (EncodingSession session = encoder.session()) {
 *     for (byte[] value : values) {
 *         store(session.encode(value));
 *     }
 * }
 * }</pre>
 *
 * <p><b>Not thread-safe.</b> A session belongs to one thread: the first thread that encodes with it
 * binds it, and any other thread that tries gets an {@link IllegalStateException} (a best-effort check,
 * not a lock). Use one session per thread. {@link #close()} frees the native state at once: a session
 * that is never closed holds a zstd context's native memory until the JVM exits.
 */
public final class EncodingSession implements AutoCloseable {

    /** Scratch buffers up to this size (1 MiB) are kept between values; larger ones are dropped after use. */
    public static final int MAX_RETAINED_SCRATCH = 1 << 20;

    private static final int MIN_SCRATCH = 4096;
    /** The counters: written by the session's thread only, opaque so that other threads read whole, current values. */
    private static final VarHandle COUNTER = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int VALUES = 0;
    private static final int ATTEMPTED = 1;
    private static final int COMPRESSED = 2;
    private static final int SKIPPED = 3;
    private static final int WITH_DICTIONARY = 4;

    private final ValueEncoder encoder;
    private final BlockCompressor.Compression compression;
    private final Workspace workspace = new Workspace();
    private final AdaptiveSkip skip = new AdaptiveSkip();
    private final CRC32C crc32c = new CRC32C();
    private final long[] counters = new long[5];
    private ZstdBlockCompressor.DictionaryCompression dictionaryCompression;
    private byte[] scratch;
    private Thread owner;
    private boolean closed;

    EncodingSession(ValueEncoder encoder) {
        this(encoder, encoder.compressor().open(encoder.level()));
    }

    /** For tests: a session that compresses with {@code compression}, which it closes on {@link #close()}. */
    EncodingSession(ValueEncoder encoder, BlockCompressor.Compression compression) {
        this.encoder = encoder;
        this.compression = compression;
    }

    /** Encodes {@code original} and returns the value to store, a new array. */
    public byte[] encode(byte[] original) {
        Objects.requireNonNull(original, "original");
        return encode(original, 0, original.length);
    }

    /**
     * Encodes {@code original[offset .. offset+length)} and returns the value to store, a new array.
     *
     * @throws IllegalStateException if the session is closed or bound to another thread, or if the
     *     compression library fails
     * @throws IndexOutOfBoundsException if the range is outside the array
     * @throws IllegalArgumentException if the value is too large to encode (about 2 GiB)
     */
    public byte[] encode(byte[] original, int offset, int length) {
        return encode(original, offset, length, null);
    }

    /**
     * Encodes {@code original} with zstd and {@code dictionary} (codec id 5; null: as {@link #encode(byte[])}).
     * Values with a dictionary are always attempted (the adaptive skip applies to values without one), and
     * stored with codec none if they do not get smaller.
     *
     * @throws IllegalArgumentException if a dictionary is given and the codec is not zstd
     */
    public byte[] encode(byte[] original, ZstdDictionary dictionary) {
        Objects.requireNonNull(original, "original");
        return encode(original, 0, original.length, dictionary);
    }

    /** As {@link #encode(byte[], ZstdDictionary)}, for {@code original[offset .. offset+length)}. */
    public byte[] encode(byte[] original, int offset, int length, ZstdDictionary dictionary) {
        checkUsable();
        try {
            byte[] encoded = encoder.encode(original, offset, length, workspace, dictionary);
            count(VALUES);
            return encoded;
        } finally {
            if (scratch != null && scratch.length > MAX_RETAINED_SCRATCH) {
                scratch = null;
            }
        }
    }

    /** Encodes {@code original} and reports the codec actually used and the sizes. */
    public EncodedValue encodeValue(byte[] original) {
        Objects.requireNonNull(original, "original");
        return encodeValue(original, 0, original.length);
    }

    /** Encodes {@code original[offset .. offset+length)} and reports the codec actually used and the sizes. */
    public EncodedValue encodeValue(byte[] original, int offset, int length) {
        return ValueEncoder.described(encode(original, offset, length), length);
    }

    /**
     * What the session has done so far; readable from any thread (for metrics: the figures may be a
     * moment old, and are read one by one) and after close.
     */
    public Stats stats() {
        return new Stats(counter(VALUES), counter(ATTEMPTED), counter(COMPRESSED), counter(SKIPPED),
                counter(WITH_DICTIONARY));
    }

    private void count(int counter) {
        COUNTER.setOpaque(counters, counter, counters[counter] + 1);
    }

    private long counter(int counter) {
        return (long) COUNTER.getOpaque(counters, counter);
    }

    /** The settings this session encodes with. */
    public ValueEncoder encoder() {
        return encoder;
    }

    /**
     * Frees the codec's native state and the scratch buffer. Idempotent; encoding afterwards throws
     * {@link IllegalStateException}. Call it on the session's thread, or once that thread has stopped
     * using the session.
     */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            scratch = null;
            compression.close();
            if (dictionaryCompression != null) {
                dictionaryCompression.close();
            }
        }
    }

    /** Capacity of the scratch buffer currently held, 0 if none; for tests. */
    int scratchCapacity() {
        return scratch == null ? 0 : scratch.length;
    }

    /** Whether values of {@code length} bytes are currently skipped (except for probes); for tests. */
    boolean isSkipping(int length) {
        return skip.isSkipping(length);
    }

    private void checkUsable() {
        if (closed) {
            throw new IllegalStateException("EncodingSession is closed; get a new one from ValueEncoder.session()");
        }
        Thread current = Thread.currentThread();
        if (owner != current) {
            if (owner != null) {
                throw new IllegalStateException("EncodingSession belongs to thread '" + owner.getName()
                        + "' and was used from '" + current.getName() + "'; use one session per thread");
            }
            owner = current;
        }
    }

    @Override
    public String toString() {
        return "EncodingSession[" + encoder + ", " + stats() + (closed ? ", closed" : "") + "]";
    }

    /**
     * Counters of a session, for metrics. Every value is counted once in {@code values}; of those,
     * {@code attempted} went through the codec (probes included), {@code compressed} of these were
     * stored compressed, and {@code skipped} were stored as none without an attempt because compression
     * had not paid off for their size. The rest were below the minimum size, or the codec is none.
     *
     * @param values     values encoded
     * @param attempted  values the codec compressed (whether or not the result was kept)
     * @param compressed values stored compressed (the payload was smaller than the original)
     * @param skipped    values stored as none without an attempt, by the adaptive rule
     * @param withDictionary values stored compressed with a dictionary (codec id 5; counted in compressed too)
     */
    public record Stats(long values, long attempted, long compressed, long skipped, long withDictionary) {

        /** Counters of a session that used no dictionary. */
        public Stats(long values, long attempted, long compressed, long skipped) {
            this(values, attempted, compressed, skipped, 0);
        }
    }

    /** The session's side of {@link ValueEncoder}'s encoding path. */
    private final class Workspace implements EncodingWorkspace {

        @Override
        public CRC32C crc32c() {
            crc32c.reset();
            return crc32c;
        }

        @Override
        public boolean shouldAttempt(int length) {
            if (skip.shouldAttempt(length)) {
                return true;
            }
            count(SKIPPED);
            return false;
        }

        @Override
        public byte[] scratch(int capacity) {
            byte[] s = scratch;
            if (s == null || s.length < capacity) {
                int grown = s == null ? MIN_SCRATCH : Math.min(2 * s.length, MAX_RETAINED_SCRATCH);
                s = new byte[Math.max(capacity, grown)];
                scratch = s;
            }
            return s;
        }

        @Override
        public int compress(byte[] src, int srcOff, int srcLen, byte[] dst) {
            return compression.compress(src, srcOff, srcLen, dst, 0);
        }

        @Override
        public int compressWithDictionary(ZstdDictionary dictionary, byte[] src, int srcOff, int srcLen, byte[] dst) {
            if (dictionaryCompression == null) {
                dictionaryCompression = ZstdBlockCompressor.INSTANCE.openWithDictionary(encoder.level());
            }
            return dictionaryCompression.compress(dictionary, src, srcOff, srcLen, dst, 0);
        }

        @Override
        public void attemptedWithDictionary(int length, int payloadLength) {
            count(ATTEMPTED);
            if (payloadLength >= 0 && payloadLength < length) {
                count(COMPRESSED);
                count(WITH_DICTIONARY);
            }
        }

        @Override
        public void attempted(int length, int payloadLength) {
            count(ATTEMPTED);
            if (payloadLength >= 0 && payloadLength < length) {
                count(COMPRESSED);
            }
            skip.attempted(length, payloadLength);
        }
    }
}
