package io.redcompress.connect.mapping;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.redcompress.connect.layout.BucketLayout;

class WriteLayoutTest {

    private static final RecordId ID = new RecordId("t", 0, 7);
    private static final byte[] VALUE = {(byte) 0xF5, 0, 0};

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }

    @Test
    void keysAreSetsAndDels() {
        RedisWrite set = WriteLayout.keys().set(ID, bytes("k"), VALUE, 3, 50);
        assertThat(set).isInstanceOfSatisfying(RedisWrite.SetValue.class, s -> {
            assertThat(text(s.key())).isEqualTo("k");
            assertThat(s.ttlMillis()).isEqualTo(50);
        });
        assertThat(WriteLayout.keys().delete(ID, bytes("k"))).isInstanceOf(RedisWrite.DeleteKey.class);
    }

    @Test
    void bucketsWriteTheLogicalKeyAsTheFieldOfItsBucket() {
        // hb:sensor-000000 has CRC-32 d6e29fb6: bucket 355 of 4167 (docs/bucketed-layout.md)
        WriteLayout.Buckets buckets = WriteLayout.buckets(BucketLayout.of("hb:b:", 4167));
        RedisWrite set = buckets.set(ID, bytes("hb:sensor-000000"), VALUE, 3, 50);
        assertThat(set).isInstanceOfSatisfying(RedisWrite.SetField.class, s -> {
            assertThat(text(s.key())).isEqualTo("hb:b:355");
            assertThat(text(s.field())).isEqualTo("hb:sensor-000000");
            assertThat(s.encodedValue()).isEqualTo(VALUE);
            assertThat(s.originalLength()).isEqualTo(3);
            assertThat(s.ttlMillis()).isEqualTo(50);
        });
        RedisWrite delete = buckets.delete(ID, bytes("hb:sensor-000000"));
        assertThat(delete).isInstanceOfSatisfying(RedisWrite.DeleteField.class, d -> {
            assertThat(text(d.key())).isEqualTo("hb:b:355");
            assertThat(text(d.field())).isEqualTo("hb:sensor-000000");
            assertThat(d.previousKey()).isNull();
        });
        assertThat(delete.encodedValue()).isNull();
    }

    @Test
    void whileReBucketingDeletesClearThePreviousBucketUnlessItIsTheSameKey() {
        WriteLayout.Buckets buckets = WriteLayout.buckets(BucketLayout.of("b:", 4167));
        buckets.rebucketingFrom(1000);
        assertThat(buckets.previousCount()).isEqualTo(1000);
        // 0xd6e29fb6 = 3605176246: 355 of 4167, 246 of 1000
        RedisWrite.DeleteField delete = (RedisWrite.DeleteField) buckets.delete(ID, bytes("hb:sensor-000000"));
        assertThat(text(delete.previousKey())).isEqualTo("b:246");
        assertThat(text(delete.key())).isEqualTo("b:355");
        // ...and 355 of 1389 too: one bucket key, one HDEL
        buckets.rebucketingFrom(1389);
        assertThat(((RedisWrite.DeleteField) buckets.delete(ID, bytes("hb:sensor-000000"))).previousKey()).isNull();
        assertThat(buckets.set(ID, bytes("hb:sensor-000000"), VALUE, 3, 0)).isInstanceOf(RedisWrite.SetField.class);
        buckets.rebucketingFrom(0);
        assertThat(buckets.previousCount()).isZero();
        assertThat(((RedisWrite.DeleteField) buckets.delete(ID, bytes("hb:sensor-000000"))).previousKey()).isNull();
    }
}
