package io.redcompress.connect.layout;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.lettuce.core.cluster.SlotHash;

class RedisSlotTest {

    @Test
    void slotsAreRedisClusters() {
        // the cluster specification's test vector: CRC16 of "123456789" is 0x31C3
        assertThat(RedisSlot.crc16(bytes("123456789"), 0, 9)).isEqualTo(0x31C3);
        for (String key : new String[] {"", "a", "device:42", "{user1000}.following", "foo{}{bar}", "foo{{bar}}zap",
                "foo{bar}{zap}", "x{", "}y{z", "\u00e9t\u00e9"}) {
            assertThat(RedisSlot.of(bytes(key))).as(key).isEqualTo(SlotHash.getSlot(bytes(key)));
        }
    }

    @Test
    void everySlotHasATagThatLandsInIt() {
        for (int slot = 0; slot < RedisSlot.SLOTS; slot++) {
            String tag = RedisSlot.tag(slot);
            assertThat(tag.length()).isLessThanOrEqualTo(4);
            assertThat(SlotHash.getSlot(bytes("redcompress:eo:c:{" + tag + "}"))).isEqualTo(slot);
        }
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
