package io.redcompress.connect.layout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class BucketLayoutTest {

    /** The golden vectors of docs/bucketed-layout.md, computed with Python's zlib.crc32 (not with this code). */
    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "68623a73656e736f722d303030303030 | d6e29fb6 | 4167 | 355",
            "68623a73656e736f722d303030303031 | a1e5af20 | 4167 | 408",
            "717569636b73746172742e686561727462656174733a73656e736f722d303034373131 | f6ad41cc | 54 | 22",
            "'' | 00000000 | 10 | 0",
            "c3bc6ec3af636f64653ae382ade383bc | 7c4b0fea | 1000 | 58",
            "ffffffff | ffffffff | 7 | 3",
    })
    void bucketsOfTheGoldenVectors(String keyHex, String crcHex, int count, int bucket) {
        byte[] key = HexFormat.of().parseHex(keyHex);
        BucketLayout layout = BucketLayout.of("p:", count);

        assertThat(BucketLayout.hash(key)).isEqualTo(Long.parseLong(crcHex, 16));
        assertThat(layout.bucketOf(key)).isEqualTo(bucket);
        assertThat(new String(layout.bucketKey(key), StandardCharsets.UTF_8)).isEqualTo("p:" + bucket);
        assertThat(layout.field(key)).isEqualTo(key);
    }

    @Test
    void theHashIsUnsignedSoHighCrcsStillGiveABucketInRange() {
        byte[] key = HexFormat.of().parseHex("ffffffff"); // CRC-32 0xffffffff, negative as an int
        assertThat(BucketLayout.hash(key)).isEqualTo(0xffffffffL);
        assertThat(BucketLayout.of("b", 1_000_000).bucketOf(key)).isEqualTo((int) (0xffffffffL % 1_000_000));
    }

    @Test
    void bucketKeysAreThePrefixAndTheNumberInDecimal() {
        BucketLayout layout = BucketLayout.of("hb:b:", 5000);
        assertThat(new String(layout.bucketKey(0), StandardCharsets.UTF_8)).isEqualTo("hb:b:0");
        assertThat(new String(layout.bucketKey(4999), StandardCharsets.UTF_8)).isEqualTo("hb:b:4999");
        assertThat(new String(layout.markerKey(), StandardCharsets.UTF_8)).isEqualTo("hb:b:layout");
        assertThatThrownBy(() -> layout.bucketKey(5000)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BucketLayout.of("x", 0)).hasMessageContaining("at least 1");
    }

    @Test
    void theGlobEscapesThePrefix() {
        assertThat(BucketLayout.of("a*b?[c]\\:", 3).keyGlob()).isEqualTo("a\\*b\\?\\[c\\]\\\\:*");
    }

    @Test
    void sizingKeepsTheMeanThreeStandardDeviationsBelowTheListpackLimit() {
        assertThat(BucketLayout.targetEntriesPerBucket(128)).isEqualTo(94);
        assertThat(BucketLayout.targetEntriesPerBucket(256)).isEqualTo(208);
        assertThat(BucketLayout.targetEntriesPerBucket(512)).isEqualTo(444);
        assertThat(BucketLayout.targetEntriesPerBucket(4)).isEqualTo(1);
        assertThat(BucketLayout.bucketsFor(400_000)).isEqualTo(4256);
        assertThat(BucketLayout.bucketsFor(94)).isEqualTo(1);
        assertThat(BucketLayout.bucketsFor(95)).isEqualTo(2);
        assertThat(BucketLayout.bucketsFor(1)).isEqualTo(1);
        assertThat(BucketLayout.bucketsFor(1_000_000, 256)).isEqualTo(4808);
        assertThatThrownBy(() -> BucketLayout.bucketsFor(0)).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BucketLayout.bucketsFor(Long.MAX_VALUE)).hasMessageContaining("more than");
    }

    @Test
    void bucketsOfSequentialDeviceKeysStayListpackSized() {
        int keys = 200_000;
        BucketLayout layout = BucketLayout.of("b:", BucketLayout.bucketsFor(keys));
        int[] load = new int[layout.count()];
        for (int i = 0; i < keys; i++) {
            load[layout.bucketOf(String.format("hb:sensor-%06d", i).getBytes(StandardCharsets.UTF_8))]++;
        }
        long over = java.util.Arrays.stream(load).filter(n -> n > BucketLayout.DEFAULT_LISTPACK_ENTRIES).count();
        assertThat(over).isLessThanOrEqualTo(layout.count() / 200); // Poisson tail at 3 sigma: ~0.1%
        assertThat(java.util.Arrays.stream(load).min().getAsInt()).isGreaterThan(40);
    }
}
