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

    private static String failure(List<byte[]> samples, String reason) {
        long total = 0;
        for (byte[] sample : samples) {
            total += sample.length;
        }
        return "zstd could not train a dictionary on " + samples.size() + " samples of " + total + " bytes: " + reason;
    }
}
