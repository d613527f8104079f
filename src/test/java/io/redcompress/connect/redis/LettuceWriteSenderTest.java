package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.mapping.RecordId;
import io.redcompress.connect.mapping.RedisWrite;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/** The sender as a task starts it, against a real redis-server. */
class LettuceWriteSenderTest {

    private static final byte[] SAMPLE = "t:sample".getBytes(StandardCharsets.UTF_8);

    @Test
    void aTaskStartBuildsOneClientAndTasksShareLettucesThreads() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
            int usersBefore = RedisClientFactory.clientsUsingSharedResources();
            long createdBefore = RedisClientFactory.clientsCreated();
            try (LettuceWriteSender first = LettuceWriteSender.connectChecked(config, SAMPLE, "t:*");
                 LettuceWriteSender second = LettuceWriteSender.connectChecked(config, SAMPLE, "t:*")) {
                assertThat(RedisClientFactory.clientsCreated() - createdBefore).as("the checks' client writes too").isEqualTo(2);
                assertThat(RedisClientFactory.clientsUsingSharedResources() - usersBefore).isEqualTo(2);
                RecordId id = new RecordId("t", 0, 0);
                assertThat(first.send(List.of(new RedisWrite.SetValue(id, "k".getBytes(StandardCharsets.UTF_8),
                        new byte[] {(byte) 0xF5, 0, 0}, 0, 0))).toCompletableFuture().get())
                        .singleElement().satisfies(r -> assertThat(r.isAcknowledged()).isTrue());
                try (RespClient client = redis.client()) {
                    assertThat(client.get("k")).containsExactly(0xF5 - 256, 0, 0);
                }
            }
            assertThat(RedisClientFactory.clientsUsingSharedResources()).as("released with the last client").isEqualTo(usersBefore);
        }
    }

    @Test
    void aCheckThatFailsLeavesNoClientBehindAndNamesTheKey() {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "devices", "on", ">pw", "~device:*", "+@all");
            int usersBefore = RedisClientFactory.clientsUsingSharedResources();
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri(), "redis.username", "devices",
                    "redis.password", "pw", "key.template", "t:${key}"));
            assertThatThrownBy(() -> LettuceWriteSender.connectChecked(config, SAMPLE, "t:*"))
                    .isInstanceOf(ConnectException.class).hasMessageContaining("(config key: key.template)");
            assertThat(RedisClientFactory.clientsUsingSharedResources()).isEqualTo(usersBefore);
        }
    }

    private static RedisWrite set(long offset, String key, String value, long ttlMillis) {
        return new RedisWrite.SetValue(new RecordId("t", 0, offset), key.getBytes(StandardCharsets.UTF_8),
                value.getBytes(StandardCharsets.UTF_8), value.length(), ttlMillis);
    }

    private static RedisWrite del(long offset, String key) {
        return new RedisWrite.DeleteKey(new RecordId("t", 0, offset), key.getBytes(StandardCharsets.UTF_8));
    }

    private static List<WriteResult> send(LettuceWriteSender sender, List<RedisWrite> writes) throws Exception {
        return sender.send(writes).toCompletableFuture().get(30, java.util.concurrent.TimeUnit.SECONDS);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void bucketWritesAreHsetsAndHdelsInOrderAndEveryReplyIsChecked() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
            client.command("HSET", "b:old", "k2", "stale"); // where k2 was under the previous bucket count
            client.command("SET", "b:wrongtype", "a string");
            RecordId id = new RecordId("t", 0, 0);
            List<RedisWrite> writes = List.of(
                    new RedisWrite.SetField(id, bytes("b:1"), bytes("k1"), bytes("v1"), 2, 0),
                    new RedisWrite.SetField(id, bytes("b:1"), bytes("k2"), bytes("v2"), 2, 0),
                    new RedisWrite.DeleteField(id, bytes("b:1"), bytes("k2"), bytes("b:old")),
                    new RedisWrite.SetField(id, bytes("b:1"), bytes("k1"), bytes("v1-again"), 8, 0),
                    new RedisWrite.SetField(id, bytes("b:wrongtype"), bytes("k3"), bytes("v3"), 2, 0),
                    // its previous bucket's HDEL fails, the HDEL of its bucket succeeds: not acknowledged
                    new RedisWrite.DeleteField(id, bytes("b:1"), bytes("k9"), bytes("b:wrongtype")));
            try (LettuceWriteSender sender = LettuceWriteSender.connect(config)) {
                List<WriteResult> batched = send(sender, writes);
                assertThat(batched).extracting(WriteResult::isAcknowledged).containsExactly(true, true, true, false, false, false);
                assertThat(batched.subList(3, 5)).as("the HSET script that met the string cannot say which write it was")
                        .allSatisfy(r -> assertThat(r.failure()).isEqualTo(FailureKind.RESEND));
                List<WriteResult> results = send(sender, writes); // sent again, the way the task does, one HSET each
                assertThat(results).extracting(WriteResult::isAcknowledged).containsExactly(true, true, true, true, false, false);
                assertThat(results.get(4).reason()).contains("WRONGTYPE", "redis.bucket.prefix");
                assertThat(results.get(4).failure()).as("another writer's key under the prefix").isEqualTo(FailureKind.FATAL);
                assertThat(results.get(5).reason()).contains("WRONGTYPE");
            }
            assertThat(new String((byte[]) client.command("HGET", "b:1", "k1"), StandardCharsets.UTF_8)).isEqualTo("v1-again");
            assertThat(client.command("HEXISTS", "b:1", "k2")).isEqualTo(0L);
            assertThat(client.exists("b:old")).as("the previous bucket's field went first").isFalse();
        }
    }

    @Test
    void aFieldExpiryRedisCannotSetFailsTheWrite() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client()) {
            String version = client.infoMap("server").get("redis_version");
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
            RedisWrite write = new RedisWrite.SetField(new RecordId("t", 0, 0), bytes("b:1"), bytes("k"), bytes("v"), 1, 60_000);
            try (LettuceWriteSender sender = LettuceWriteSender.connect(config)) {
                WriteResult result = send(sender, List.of(write)).get(0);
                if (version.startsWith("6.") || version.startsWith("7.0") || version.startsWith("7.2")) {
                    // no HPEXPIRE before 7.4: the HSET went through, but the write is not acknowledged
                    assertThat(result.isAcknowledged()).isFalse();
                    assertThat(result.reason()).containsIgnoringCase("hpexpire");
                } else {
                    assertThat(result.isAcknowledged()).isTrue();
                    assertThat((List<?>) client.command("HPTTL", "b:1", "FIELDS", "1", "k")).singleElement()
                            .satisfies(ttl -> assertThat((Long) ttl).isBetween(1L, 60_000L));
                }
            }
        }
    }

    @Test
    void runsOfBucketHsetsGoAsOneScriptWithTheEffectOfTheWritesInOrder() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
            List<RedisWrite> writes = new java.util.ArrayList<>();
            long offset = 0;
            for (int i = 0; i < 2000; i++) {
                writes.add(field(offset++, "b:" + i % 37, "k" + i, "v" + i)); // more than one script's worth
            }
            writes.add(field(offset++, "b:dup", "k", "first"));
            writes.add(field(offset++, "b:dup", "k", "second"));
            writes.add(new RedisWrite.DeleteField(new RecordId("t", 0, offset++), bytes("b:dup"), bytes("gone"), null));
            writes.add(field(offset++, "b:dup", "gone", "back"));
            client.command("HSET", "b:dup", "gone", "stale");
            client.command("CONFIG", "RESETSTAT");
            try (LettuceWriteSender sender = LettuceWriteSender.connect(config)) {
                List<WriteResult> results = send(sender, writes);
                assertThat(results).hasSize(writes.size()).allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
                assertThat(results).extracting(WriteResult::write).containsExactlyElementsOf(writes);
            }
            for (int i = 0; i < 2000; i += 333) {
                assertThat(new String((byte[]) client.command("HGET", "b:" + i % 37, "k" + i), StandardCharsets.UTF_8)).isEqualTo("v" + i);
            }
            long fields = 0;
            for (int b = 0; b < 37; b++) {
                fields += (Long) client.command("HLEN", "b:" + b);
            }
            assertThat(fields).isEqualTo(2000);
            assertThat(new String((byte[]) client.command("HGET", "b:dup", "k"), StandardCharsets.UTF_8)).isEqualTo("second");
            assertThat(new String((byte[]) client.command("HGET", "b:dup", "gone"), StandardCharsets.UTF_8)).isEqualTo("back");
            String stats = new String((byte[]) client.command("INFO", "commandstats"), StandardCharsets.UTF_8);
            assertThat(stats).as("the 2,000 HSETs went in a few scripts").containsPattern("cmdstat_eval:calls=[4-9],");
        }
    }

    private static RedisWrite.SetField field(long offset, String bucket, String field, String value) {
        return new RedisWrite.SetField(new RecordId("t", 0, offset), bytes(bucket), bytes(field), bytes(value), value.length(), 0);
    }

    @Test
    void runsOfSetsBecomeMsetsWithTheEffectOfTheWritesInOrder() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient client = redis.client()) {
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri()));
            List<RedisWrite> writes = new java.util.ArrayList<>();
            long offset = 0;
            for (int i = 0; i < 2000; i++) {
                writes.add(set(offset++, "bulk:" + i, "v" + i, 0)); // more than one MSET's worth of keys
            }
            writes.add(set(offset++, "dup", "first", 0));
            writes.add(set(offset++, "dup", "second", 0)); // the later of two writes to a key in one run wins
            writes.add(set(offset++, "gone", "a", 0));
            writes.add(del(offset++, "gone"));             // a tombstone ends the run and keeps its place
            writes.add(set(offset++, "back", "a", 0));
            writes.add(del(offset++, "back"));
            writes.add(set(offset++, "back", "b", 0));
            writes.add(set(offset++, "ttl", "x", 60_000)); // a SET with expiry goes alone
            writes.add(set(offset++, "after", "y", 0));
            client.command("CONFIG", "RESETSTAT");
            try (LettuceWriteSender sender = LettuceWriteSender.connect(config)) {
                List<WriteResult> results = send(sender, writes);
                assertThat(results).hasSize(writes.size()).allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
                assertThat(results).extracting(WriteResult::write).containsExactlyElementsOf(writes);
            }
            assertThat(client.dbsize()).isEqualTo(2000 + 4);
            assertThat(new String(client.get("bulk:1999"), StandardCharsets.UTF_8)).isEqualTo("v1999");
            assertThat(new String(client.get("dup"), StandardCharsets.UTF_8)).isEqualTo("second");
            assertThat(client.get("gone")).isNull();
            assertThat(new String(client.get("back"), StandardCharsets.UTF_8)).isEqualTo("b");
            assertThat((Long) client.command("PTTL", "ttl")).isPositive();
            String stats = new String((byte[]) client.command("INFO", "commandstats"), StandardCharsets.UTF_8);
            assertThat(stats).contains("cmdstat_mset:calls=");
            assertThat(stats).as("the 2,000 bulk keys went in MSETs, not one SET each").doesNotContainPattern("cmdstat_set:calls=\\d{3,}");
        }
    }

    @Test
    void aRefusedMsetIsRetriedAsSetsWhoseRepliesNameTheRecord() throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "devices", "on", ">pw", "~device:*", "+@all");
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri(), "redis.username", "devices",
                    "redis.password", "pw"));
            List<RedisWrite> writes = List.of(set(0, "device:1", "a", 0), set(1, "other:2", "b", 0), set(2, "device:3", "c", 0));
            try (LettuceWriteSender sender = LettuceWriteSender.connect(config)) {
                assertThat(send(sender, writes)).as("one key outside the user's patterns fails the MSET: nothing can be pinned yet")
                        .allSatisfy(r -> assertThat(r.failure()).isEqualTo(FailureKind.RESEND));
                List<WriteResult> retried = send(sender, writes);
                assertThat(retried.get(0).isAcknowledged()).isTrue();
                assertThat(retried.get(1).failure()).isEqualTo(FailureKind.PERMANENT);
                assertThat(retried.get(2).isAcknowledged()).isTrue();
            }
            assertThat(admin.get("device:3")).isNotNull();
        }
    }

    @Test
    void aUserWhoMayNotRunMsetIsWrittenForWithSet() throws Exception {
        assertWrittenOneByOneForAUserWithout("-mset", List.of(set(0, "k1", "a", 0), set(1, "k2", "b", 0)), "k2");
    }

    @Test
    void aUserWhoMayNotRunScriptsIsWrittenForWithHset() throws Exception {
        assertWrittenOneByOneForAUserWithout("-eval", List.of(field(0, "b:1", "k1", "a"), field(1, "b:2", "k2", "b")), "b:2");
    }

    /** The batch is refused, sent again (RESEND), and then goes through one command per write. */
    private static void assertWrittenOneByOneForAUserWithout(String commandRule, List<RedisWrite> writes, String lastKey)
            throws Exception {
        try (RedisServerProcess redis = RedisServerProcess.builder().start();
             RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "devices", "on", ">pw", "~*", "+@all", commandRule);
            RedisSinkConfig config = new RedisSinkConfig(Map.of("redis.uri", redis.uri(), "redis.username", "devices",
                    "redis.password", "pw"));
            try (LettuceWriteSender sender = LettuceWriteSender.connect(config)) {
                assertThat(send(sender, writes)).allSatisfy(r -> assertThat(r.failure()).isEqualTo(FailureKind.RESEND));
                assertThat(send(sender, writes)).allSatisfy(r -> assertThat(r.isAcknowledged()).isTrue());
            }
            assertThat(admin.dbsize()).isEqualTo(2);
            assertThat(admin.exists(lastKey)).isTrue();
        }
    }
}
