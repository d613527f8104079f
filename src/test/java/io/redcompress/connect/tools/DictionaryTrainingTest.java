package io.redcompress.connect.tools;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.codec.Codec;
import io.redcompress.connect.codec.ValueEncoder;
import io.redcompress.connect.testing.SampleData;

class DictionaryTrainingTest {

    @Test
    void everyTenthSampleIsHeldOutAndMeasuredWithAndWithoutTheDictionary() {
        Random random = new Random(5);
        List<byte[]> samples = new ArrayList<>();
        for (int i = 0; i < 305; i++) {
            samples.add(SampleData.heartbeat("sensor-" + i, i, random));
        }

        DictionaryTraining.Result result = DictionaryTraining.train(samples, 2048);

        assertThat(result.heldOutSamples()).isEqualTo(30);
        assertThat(result.trainingSamples()).isEqualTo(275);
        long original = 0;
        long without = 0;
        ValueEncoder zstd = ValueEncoder.builder().codec(Codec.ZSTD).level(1).build(); // the connector's default level
        for (int i = 9; i < samples.size(); i += 10) {
            original += samples.get(i).length;
            without += zstd.encode(samples.get(i)).length;
        }
        assertThat(result.heldOutOriginal()).isEqualTo(original);
        assertThat(result.withoutDictionary()).isEqualTo(without);
        assertThat(result.ratioWithDictionary()).isLessThan(result.ratioWithoutDictionary()).isLessThan(1.5);
        assertThat(result.dictionary().size()).isLessThanOrEqualTo(2048);
    }

    @Test
    void tooFewSamplesAreRefusedWithTheReason() {
        assertThatThrownBy(() -> DictionaryTraining.train(List.of(new byte[10], new byte[10]), 1024))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 16 samples");
    }
}
