package io.redcompress.connect.codec;

import com.github.luben.zstd.Zstd;
import com.github.luben.zstd.ZstdException;
import java.util.List;

/**
 * Trains zstd dictionaries for the value format with zstd's own trainer ({@code ZDICT_trainFromBuffer}),
 * and writes the id derived from the content into the result ({@link DictionaryIds}). The same samples
 * in the same order give the same dictionary, byte for byte, and so the same id.
 *
 * <p>Training takes about a second for 2,000 samples on one core: run it off any thread that must stay
 * responsive.
 */
public final class DictionaryTrainer {

    /** Fewest samples zstd's trainer is given; with fewer it fails or gives a useless dictionary. */
    public static final int MIN_SAMPLES = 16;
    /** Smallest dictionary size accepted (zstd needs room for its entropy tables). */
    public static final int MIN_DICTIONARY_BYTES = 1024;

    private DictionaryTrainer() {
    }

    /**
     * Trains a dictionary of at most {@code dictionaryBytes} bytes on {@code samples}.
     *
     * @throws IllegalArgumentException if there are too few samples, or zstd cannot train on them (for
     *     example when the samples together are smaller than the dictionary); the message says which
     */
    public static ZstdDictionary train(List<byte[]> samples, int dictionaryBytes) {
        if (dictionaryBytes < MIN_DICTIONARY_BYTES) {
            throw new IllegalArgumentException("dictionary size " + dictionaryBytes + " is below the minimum "
                    + MIN_DICTIONARY_BYTES);
        }
        if (samples.size() < MIN_SAMPLES) {
            throw new IllegalArgumentException("training needs at least " + MIN_SAMPLES + " samples, got "
                    + samples.size());
        }
        byte[][] array = samples.toArray(new byte[0][]);
        byte[] buffer = new byte[dictionaryBytes];
        long size;
        try {
            size = Zstd.trainFromBuffer(array, buffer, false);
        } catch (ZstdException e) {
            throw new IllegalArgumentException(failure(samples, e.getMessage()), e);
        }
        if (Zstd.isError(size)) {
            throw new IllegalArgumentException(failure(samples, Zstd.getErrorName(size)));
        }
        byte[] trained = java.util.Arrays.copyOf(buffer, (int) size);
        return ZstdDictionary.of(DictionaryIds.withDerivedId(trained));
    }

    /**
     * A dictionary trained on nine tenths of some samples, and the tenth held out to measure it (every tenth sample,
     * so that the held-out part spreads over the whole input).
     *
     * @param dictionary      the trained dictionary
     * @param trainingSamples how many samples it was trained on
     * @param heldOut         the samples it was not trained on
     */
    public record HeldOut(ZstdDictionary dictionary, int trainingSamples, List<byte[]> heldOut) {

        /** Stored over original bytes of the held-out samples as {@code encoder} writes them with {@code dictionary} (null: none). */
        public double ratio(ValueEncoder encoder, ZstdDictionary dictionary) {
            return DictionaryTrainer.ratio(encoder, dictionary, heldOut);
        }

        /** Bytes the held-out samples take as {@code encoder} writes them with {@code dictionary} (null: none). */
        public long heldOutStoredBytes(ValueEncoder encoder, ZstdDictionary dictionary) {
            return DictionaryTrainer.storedBytes(encoder, dictionary, heldOut);
        }

        /** Original bytes of the held-out samples. */
        public long heldOutBytes() {
            long total = 0;
            for (byte[] sample : heldOut) {
                total += sample.length;
            }
            return total;
        }
    }

    /**
     * Trains on nine tenths of {@code samples} (all but every tenth) and holds the rest out.
     *
     * @throws IllegalArgumentException as {@link #train}
     */
    public static HeldOut trainHoldingOut(List<byte[]> samples, int dictionaryBytes) {
        List<byte[]> training = new java.util.ArrayList<>(samples.size());
        List<byte[]> heldOut = new java.util.ArrayList<>(samples.size() / 10 + 1);
        for (int i = 0; i < samples.size(); i++) {
            (i % 10 == 9 ? heldOut : training).add(samples.get(i));
        }
        return new HeldOut(train(training, dictionaryBytes), training.size(), List.copyOf(heldOut));
    }

    /** Stored over original bytes of {@code values} as {@code encoder} writes them with {@code dictionary} (null: none); 1 for none. */
    public static double ratio(ValueEncoder encoder, ZstdDictionary dictionary, List<byte[]> values) {
        long original = 0;
        for (byte[] value : values) {
            original += value.length;
        }
        return original == 0 ? 1.0 : (double) storedBytes(encoder, dictionary, values) / original;
    }

    /** Bytes {@code values} take as {@code encoder} writes them with {@code dictionary} (null: none), headers included. */
    public static long storedBytes(ValueEncoder encoder, ZstdDictionary dictionary, List<byte[]> values) {
        long stored = 0;
        for (byte[] value : values) {
            stored += encoder.encode(value, dictionary).length;
        }
        return stored;
    }

    private static String failure(List<byte[]> samples, String reason) {
        long total = 0;
        for (byte[] sample : samples) {
            total += sample.length;
        }
        return "zstd could not train a dictionary on " + samples.size() + " samples of " + total + " bytes: " + reason;
    }
}
