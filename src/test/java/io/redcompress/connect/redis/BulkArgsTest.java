package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;

/** Our arguments must put exactly the bytes on the wire that Lettuce's own CommandArgs would. */
class BulkArgsTest {

    private static final int[] LENGTHS = {0, 1, 9, 10, 11, 99, 100, 101, 999, 1000, 65_535, 123_456};

    private static byte[] bytes(int length, int seed) {
        byte[] bytes = new byte[length];
        for (int i = 0; i < length; i++) {
            bytes[i] = (byte) (seed * 31 + i);
        }
        return bytes;
    }

    private static String encoded(CommandArgs<byte[], byte[]> args) {
        ByteBuf buf = Unpooled.buffer();
        args.encode(buf);
        return ByteBufUtil.hexDump(buf);
    }

    @Test
    void msetArgumentsEncodeAsLettucesDo() {
        List<RedisWrite> writes = new ArrayList<>();
        CommandArgs<byte[], byte[]> lettuce = new CommandArgs<>(ByteArrayCodec.INSTANCE);
        for (int i = 0; i < LENGTHS.length; i++) {
            byte[] key = bytes(LENGTHS[LENGTHS.length - 1 - i] % 1000, i);
            byte[] value = bytes(LENGTHS[i], i + 7);
            writes.add(new RedisWrite.SetValue(new RecordId("t", 0, i), key, value, value.length, 0));
            lettuce.addKey(key).addValue(value);
        }
        BulkArgs ours = BulkArgs.keysAndValues(writes, 0, writes.size());
        assertThat(ours.count()).isEqualTo(lettuce.count());
        assertThat(encoded(ours)).isEqualTo(encoded(lettuce));
        assertThat(encoded(BulkArgs.keysAndValues(writes, 3, 2))).as("a run from the middle")
                .isEqualTo(encoded(new CommandArgs<>(ByteArrayCodec.INSTANCE)
                        .addKey(writes.get(3).key()).addValue(((RedisWrite.SetValue) writes.get(3)).encodedValue())
                        .addKey(writes.get(4).key()).addValue(((RedisWrite.SetValue) writes.get(4)).encodedValue())));
    }

    @Test
    void setWithAndWithoutExpiryAndDelEncodeAsLettucesDo() {
        byte[] key = bytes(17, 1);
        byte[] value = bytes(205, 2);
        RedisWrite.SetValue plain = new RedisWrite.SetValue(new RecordId("t", 0, 0), key, value, 205, 0);
        RedisWrite.SetValue expiring = new RedisWrite.SetValue(new RecordId("t", 0, 1), key, value, 205, 86_400_000L);
        assertThat(encoded(BulkArgs.set(plain))).isEqualTo(encoded(new CommandArgs<>(ByteArrayCodec.INSTANCE).addKey(key).addValue(value)));
        assertThat(BulkArgs.set(expiring).count()).isEqualTo(4);
        assertThat(encoded(BulkArgs.set(expiring)))
                .isEqualTo(encoded(new CommandArgs<>(ByteArrayCodec.INSTANCE).addKey(key).addValue(value).add("PX").add(86_400_000L)));
        assertThat(encoded(BulkArgs.key(key))).isEqualTo(encoded(new CommandArgs<>(ByteArrayCodec.INSTANCE).addKey(key)));
    }
}
