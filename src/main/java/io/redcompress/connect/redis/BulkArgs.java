package io.redcompress.connect.redis;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.lettuce.core.codec.ByteArrayCodec;
import io.lettuce.core.protocol.CommandArgs;
import io.netty.buffer.ByteBuf;
import io.redcompress.connect.mapping.RedisWrite;

/**
 * The arguments of a write command, written straight into Lettuce's output buffer as RESP bulk strings. Lettuce's own
 * {@link CommandArgs} keeps an object per argument and renders every length prefix through {@code Long.toString}: for
 * an MSET of hundreds of keys that was most of the event loop's work and a String per argument. The encoded bytes are
 * the same.
 */
abstract class BulkArgs extends CommandArgs<byte[], byte[]> {

    private static final byte[] PX = "PX".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FIELDS = "FIELDS".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ONE = {'1'};
    private static final byte[] ZERO = {'0'};

    BulkArgs() {
        super(ByteArrayCodec.INSTANCE);
    }

    /** {@code key value} for each SET of the run, for MSET. */
    static BulkArgs keysAndValues(List<RedisWrite> writes, int from, int count) {
        return new BulkArgs() {
            @Override
            public int count() {
                return 2 * count;
            }

            @Override
            public void encode(ByteBuf buf) {
                int size = 0;
                for (int i = from; i < from + count; i++) {
                    RedisWrite.SetValue set = (RedisWrite.SetValue) writes.get(i);
                    size += bulkLength(set.key().length) + bulkLength(set.encodedValue().length);
                }
                buf.ensureWritable(size);
                for (int i = from; i < from + count; i++) {
                    RedisWrite.SetValue set = (RedisWrite.SetValue) writes.get(i);
                    writeBulk(buf, set.key());
                    writeBulk(buf, set.encodedValue());
                }
            }

            @Override
            public String toCommandString() {
                return count + " keys and values";
            }
        };
    }

    /**
     * {@code script numkeys bucket... field value...} for each bucket HSET of the run, for EVAL of
     * {@link NodeLink#HSET_SCRIPT}.
     */
    static BulkArgs scriptFieldsAndValues(byte[] script, List<RedisWrite> writes, int from, int count) {
        byte[] keys = Integer.toString(count).getBytes(StandardCharsets.US_ASCII);
        return new BulkArgs() {
            @Override
            public int count() {
                return 2 + 3 * count;
            }

            @Override
            public void encode(ByteBuf buf) {
                int size = bulkLength(script.length) + bulkLength(keys.length);
                for (int i = from; i < from + count; i++) {
                    RedisWrite.SetField set = (RedisWrite.SetField) writes.get(i);
                    size += bulkLength(set.key().length) + bulkLength(set.field().length) + bulkLength(set.encodedValue().length);
                }
                buf.ensureWritable(size);
                writeBulk(buf, script);
                writeBulk(buf, keys);
                for (int i = from; i < from + count; i++) {
                    writeBulk(buf, writes.get(i).key());
                }
                for (int i = from; i < from + count; i++) {
                    RedisWrite.SetField set = (RedisWrite.SetField) writes.get(i);
                    writeBulk(buf, set.field());
                    writeBulk(buf, set.encodedValue());
                }
            }

            @Override
            public String toCommandString() {
                return "HSET script, " + count + " buckets, fields and values";
            }
        };
    }

    /** The arguments of {@link NodeLink#APPEND_SCRIPT} for the appends {@code from} to {@code from + count}. */
    static BulkArgs appends(byte[] script, List<RedisWrite> writes, int from, int count) {
        List<byte[]> keys = new java.util.ArrayList<>(2 * count);
        List<byte[]> argv = new java.util.ArrayList<>(1 + 10 * count);
        RedisWrite.Append run = (RedisWrite.Append) writes.get(from);
        argv.add(decimal(count));
        argv.add((run.recordId().topic() + "/" + run.recordId().partition()).getBytes(StandardCharsets.UTF_8));
        argv.add(decimal(run.maxLength()));
        argv.add(decimal(run.ttlMillis()));
        argv.add(decimal(run.maxAgeMillis()));
        for (int i = from; i < from + count; i++) {
            RedisWrite.Append append = (RedisWrite.Append) writes.get(i);
            keys.add(append.key());
            if (append.exactlyOnce()) {
                keys.add(append.markKey());
            }
            argv.add(append.command().name().getBytes(StandardCharsets.US_ASCII));
            argv.add(decimal(append.recordId().offset()));
            argv.add(decimal(append.previousOffset()));
            argv.add(append.exactlyOnce() ? ONE : ZERO);
            argv.add(decimal(append.payload().size()));
            argv.addAll(append.payload());
        }
        return new BulkArgs() {
            @Override
            public int count() {
                return 2 + keys.size() + argv.size();
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, script);
                writeBulk(buf, decimal(keys.size()));
                keys.forEach(key -> writeBulk(buf, key));
                argv.forEach(arg -> writeBulk(buf, arg));
            }

            @Override
            public String toCommandString() {
                return "append script, " + count + " writes";
            }
        };
    }

    /** {@code key argument...}, for HSET, SADD, ZADD, SREM, ZREM. */
    static BulkArgs keyAndArguments(byte[] key, List<byte[]> arguments) {
        return new BulkArgs() {
            @Override
            public int count() {
                return 1 + arguments.size();
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, key);
                arguments.forEach(argument -> writeBulk(buf, argument));
            }

            @Override
            public String toCommandString() {
                return "key and " + arguments.size() + " arguments";
            }
        };
    }

    /** {@code script 1 key ttl command argument...}, for {@link NodeLink#EXPIRING_SCRIPT}. */
    static BulkArgs expiring(byte[] script, RedisWrite.KeyCommand command) {
        byte[] name = command.command().name().getBytes(StandardCharsets.US_ASCII);
        byte[] ttl = decimal(command.ttlMillis());
        return new BulkArgs() {
            @Override
            public int count() {
                return 5 + command.arguments().size();
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, script);
                writeBulk(buf, ONE);
                writeBulk(buf, command.key());
                writeBulk(buf, ttl);
                writeBulk(buf, name);
                command.arguments().forEach(argument -> writeBulk(buf, argument));
            }

            @Override
            public String toCommandString() {
                return "expiring " + command.command() + " of " + command.arguments().size() + " arguments";
            }
        };
    }

    private static byte[] decimal(long value) {
        return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code key value [PX ttl]}, for SET. */
    static BulkArgs set(RedisWrite.SetValue set) {
        byte[] ttl = set.ttlMillis() > 0 ? Long.toString(set.ttlMillis()).getBytes(StandardCharsets.US_ASCII) : null;
        return new BulkArgs() {
            @Override
            public int count() {
                return ttl == null ? 2 : 4;
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, set.key());
                writeBulk(buf, set.encodedValue());
                if (ttl != null) {
                    writeBulk(buf, PX);
                    writeBulk(buf, ttl);
                }
            }

            @Override
            public String toCommandString() {
                return "key value" + (ttl == null ? "" : " PX " + set.ttlMillis());
            }
        };
    }

    /** {@code bucket field value}, for HSET. */
    static BulkArgs fieldAndValue(RedisWrite.SetField set) {
        return new BulkArgs() {
            @Override
            public int count() {
                return 3;
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, set.key());
                writeBulk(buf, set.field());
                writeBulk(buf, set.encodedValue());
            }

            @Override
            public String toCommandString() {
                return "bucket field value";
            }
        };
    }

    /** {@code bucket field}, for HDEL. */
    static BulkArgs field(byte[] bucket, byte[] field) {
        return new BulkArgs() {
            @Override
            public int count() {
                return 2;
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, bucket);
                writeBulk(buf, field);
            }

            @Override
            public String toCommandString() {
                return "bucket field";
            }
        };
    }

    /** {@code bucket ttl FIELDS 1 field}, for HPEXPIRE. */
    static BulkArgs fieldExpiry(RedisWrite.SetField set) {
        byte[] ttl = Long.toString(set.ttlMillis()).getBytes(StandardCharsets.US_ASCII);
        return new BulkArgs() {
            @Override
            public int count() {
                return 5;
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, set.key());
                writeBulk(buf, ttl);
                writeBulk(buf, FIELDS);
                writeBulk(buf, ONE);
                writeBulk(buf, set.field());
            }

            @Override
            public String toCommandString() {
                return "bucket " + set.ttlMillis() + " FIELDS 1 field";
            }
        };
    }

    /** {@code key}, for DEL. */
    static BulkArgs key(byte[] key) {
        return new BulkArgs() {
            @Override
            public int count() {
                return 1;
            }

            @Override
            public void encode(ByteBuf buf) {
                writeBulk(buf, key);
            }

            @Override
            public String toCommandString() {
                return "key";
            }
        };
    }

    /** Bytes of {@code $<length>\r\n<bytes>\r\n}. */
    static int bulkLength(int length) {
        return 1 + digits(length) + 2 + length + 2;
    }

    static void writeBulk(ByteBuf buf, byte[] bytes) {
        buf.writeByte('$');
        writeDecimal(buf, bytes.length);
        buf.writeByte('\r').writeByte('\n');
        buf.writeBytes(bytes);
        buf.writeByte('\r').writeByte('\n');
    }

    private static int digits(int value) {
        int digits = 1;
        for (int v = value; v >= 10; v /= 10) {
            digits++;
        }
        return digits;
    }

    private static void writeDecimal(ByteBuf buf, int value) {
        int divisor = 1;
        while (value / divisor >= 10) {
            divisor *= 10;
        }
        for (; divisor > 0; divisor /= 10) {
            buf.writeByte('0' + value / divisor % 10);
        }
    }
}
