package io.redcompress.connect.tools;

import java.util.List;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.DictionaryTrainer;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.codec.ZstdDictionary;

/**
 * Trains a dictionary on 90% of the samples and measures it on the other 10% (every tenth sample, so the held-out
 * part spreads over the whole input): their stored bytes with the dictionary, with plain zstd, and their original
 * bytes. Values are encoded as the connector writes them by default (zstd at level 1, with the checksum, the
 * default minimum size), so the figures include the header.
 */
public final class DictionaryTraining {

    /**
     * What a training gave.
     *
     * @param dictionary         the trained dictionary, id derived from its content
     * @param trainingSamples    samples trained on
     * @param heldOutSamples     samples measured
     * @param heldOutOriginal    original bytes of the held-out samples
     * @param withDictionary     their stored bytes with the dictionary
     * @param withoutDictionary  their stored bytes with zstd alone
     */
    public record Result(ZstdDictionary dictionary, int trainingSamples, int heldOutSamples, long heldOutOriginal,
                         long withDictionary, long withoutDictionary) {

        /** Stored over original bytes of the held-out samples with the dictionary; NaN without any. */
        public double ratioWithDictionary() {
            return heldOutOriginal == 0 ? Double.NaN : (double) withDictionary / heldOutOriginal;
        }

        /** Stored over original bytes of the held-out samples with zstd alone; NaN without any. */
        public double ratioWithoutDictionary() {
            return heldOutOriginal == 0 ? Double.NaN : (double) withoutDictionary / heldOutOriginal;
        }
    }

    private DictionaryTraining() {
    }

    /**
     * @throws IllegalArgumentException if zstd cannot train on the samples (too few, too small together, a size out of
     *     range); the message says which
     */
    public static Result train(List<byte[]> samples, int dictionaryBytes) {
        DictionaryTrainer.HeldOut trained = DictionaryTrainer.trainHoldingOut(samples, dictionaryBytes);
        long original = trained.heldOutBytes();
        return new Result(trained.dictionary(), trained.trainingSamples(), trained.heldOut().size(), original,
                trained.heldOutStoredBytes(ZSTD, trained.dictionary()), trained.heldOutStoredBytes(ZSTD, null));
    }

    /** As the connector writes values by default: zstd at level 1, checksum on, the default minimum size. */
    private static final ValueEncoder ZSTD = ValueEncoder.builder().codec(Codec.ZSTD).level(1).build();
}
