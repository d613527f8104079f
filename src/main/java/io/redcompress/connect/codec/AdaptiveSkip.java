package io.redcompress.connect.codec;

/**
 * Decides, per size class, whether compressing the next value is worth the CPU: compression that
 * saves almost nothing is stopped, with a periodic probe to notice when the data changes. Used by
 * {@link EncodingSession}; deterministic (counters only, no clock, no randomness) and not
 * thread-safe.
 *
 * <p>The rule, per size class of the original length (powers of two: 1, 2-3, 4-7, ..., 2^30..2^31-1,
 * and 0 on its own):
 * <ul>
 *   <li><b>attempting</b> (the start): every value is compressed. After {@value #WINDOW} attempts the
 *       window is judged: if the bytes they saved are below {@value #MIN_SAVED_PERCENT}% of the bytes
 *       they took in, the class switches to skipping. Either way a new window starts.</li>
 *   <li><b>skipping</b>: values are not compressed (the encoder stores them as it stores those that
 *       do not shrink), except one value in {@value #PROBE_EVERY}, which is compressed as a probe.
 *       After {@value #PROBE_WINDOW} probes their window is judged the same way: saved
 *       {@value #MIN_SAVED_PERCENT}% or more switches the class back to attempting.</li>
 * </ul>
 * Saved bytes of one attempt: original length minus compressed payload length when the payload is
 * smaller, else 0.
 */
final class AdaptiveSkip {

    /** Attempts judged at once while attempting. */
    static final int WINDOW = 64;
    /** While skipping, one value in this many is compressed as a probe. */
    static final int PROBE_EVERY = 32;
    /** Probes judged at once while skipping. */
    static final int PROBE_WINDOW = 8;
    /** A window that saved less than this share (percent) of the bytes it took in is not worth it. */
    static final int MIN_SAVED_PERCENT = 3;

    /** Size classes: 0 for the empty value, then one per bit length of the length (1..31). */
    private static final int CLASSES = 32;

    private final boolean[] skipping = new boolean[CLASSES];
    private final int[] samples = new int[CLASSES];
    private final long[] bytesIn = new long[CLASSES];
    private final long[] bytesSaved = new long[CLASSES];
    private final int[] sinceProbe = new int[CLASSES];

    /** The size class of an original of {@code length} bytes: 0 for 0, else its bit length (1..31). */
    static int sizeClass(int length) {
        return Integer.SIZE - Integer.numberOfLeadingZeros(length);
    }

    /** Whether to compress a value of {@code length} bytes; if true, report the outcome to {@link #attempted}. */
    boolean shouldAttempt(int length) {
        int c = sizeClass(length);
        if (!skipping[c]) {
            return true;
        }
        if (++sinceProbe[c] == PROBE_EVERY) {
            sinceProbe[c] = 0;
            return true;
        }
        return false;
    }

    /**
     * The outcome of an attempt that {@link #shouldAttempt} allowed.
     *
     * @param payloadLength the compressed payload's length, or -1 if the compressor gave up early (not smaller)
     */
    void attempted(int length, int payloadLength) {
        int c = sizeClass(length);
        bytesIn[c] += length;
        if (payloadLength >= 0 && payloadLength < length) {
            bytesSaved[c] += length - payloadLength;
        }
        if (++samples[c] == (skipping[c] ? PROBE_WINDOW : WINDOW)) {
            skipping[c] = bytesSaved[c] * 100 < bytesIn[c] * MIN_SAVED_PERCENT;
            samples[c] = 0;
            bytesIn[c] = 0;
            bytesSaved[c] = 0;
            sinceProbe[c] = 0;
        }
    }

    /** Whether values of {@code length} bytes are currently skipped (except for probes); for tests. */
    boolean isSkipping(int length) {
        return skipping[sizeClass(length)];
    }
}
