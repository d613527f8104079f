package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.ExecutionException;
import java.util.function.Function;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCommandExecutionException;
import io.lettuce.core.RedisCommandTimeoutException;
import io.lettuce.core.RedisConnectionException;
import io.lettuce.core.RedisException;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SetArgs;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * The classifier's table against the replies a real redis-server gives to the commands the connector sends, and
 * against the wordings of the Redis versions we cannot start here.
 */
class ReplyClassifierTest {

    private static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.builder().start();
        try (RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "devices-only", "on", ">pw", "~device:*", "+@all");
            admin.command("ACL", "SETUSER", "no-set", "on", ">pw", "~*", "+@all", "-set");
            admin.command("ACL", "SETUSER", "no-del", "on", ">pw", "~*", "+@all", "-del");
            admin.command("ACL", "SETUSER", "no-wait", "on", ">pw", "~*", "+@all", "-wait");
            admin.command("ACL", "SETUSER", "no-hset", "on", ">pw", "~*", "+@all", "-hset");
        }
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    /** What Redis answered {@code command} with, as the user, with the connection's failure unwrapped. */
    private static Throwable replyTo(String user, Function<RedisAsyncCommands<String, String>, RedisFuture<?>> command) {
        RedisURI uri = RedisURI.create(redis.uri());
        if (user != null) {
            uri.setAuthentication(user, "pw".toCharArray());
        }
        uri.setTimeout(Duration.ofSeconds(5));
        RedisClient client = RedisClient.create(uri);
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            command.apply(connection.async()).get();
            throw new AssertionError("Redis accepted the command");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (InterruptedException e) {
            throw new AssertionError(e);
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    @Test
    void aKeyOutsideTheUsersKeyPatternsIsAboutThatRecord() {
        Throwable reply = replyTo("devices-only", c -> c.set("other:1", "v"));
        assertThat(reply).isInstanceOf(RedisCommandExecutionException.class).hasMessageStartingWith("NOPERM");
        assertThat(ReplyClassifier.classify(reply)).isEqualTo(FailureKind.PERMANENT);
        assertThat(ReplyClassifier.classify(replyTo("devices-only", c -> c.del("other:1")))).isEqualTo(FailureKind.PERMANENT);
    }

    @Test
    void aCommandTheUserMayNotRunIsASetting() {
        Throwable set = replyTo("no-set", c -> c.set("device:1", "v"));
        assertThat(set).hasMessageStartingWith("NOPERM");
        assertThat(ReplyClassifier.classify(set)).isEqualTo(FailureKind.FATAL);
        assertThat(ReplyClassifier.describe(set)).contains("redis.username").contains("+set");
        assertThat(ReplyClassifier.classify(replyTo("no-del", c -> c.del("device:1")))).isEqualTo(FailureKind.FATAL);
        assertThat(ReplyClassifier.classify(replyTo("no-wait", c -> c.waitForReplication(1, 10)))).isEqualTo(FailureKind.FATAL);
    }

    private static final io.redcompress.connect.mapping.RecordId ID = new io.redcompress.connect.mapping.RecordId("t", 0, 0);
    private static final io.redcompress.connect.mapping.RedisWrite BUCKET_WRITE = new io.redcompress.connect.mapping.RedisWrite
            .SetField(ID, "other:b:1".getBytes(), "k".getBytes(), "v".getBytes(), 1, 0);

    @Test
    void aBucketRefusedOrOfAnotherTypeIsAboutThePrefixNotTheRecord() {
        Throwable refused = replyTo("devices-only", c -> c.hset("other:b:1", "k", "v"));
        assertThat(refused).hasMessageStartingWith("NOPERM");
        assertThat(ReplyClassifier.classify(refused)).as("a key of its own").isEqualTo(FailureKind.PERMANENT);
        assertThat(ReplyClassifier.classify(refused, BUCKET_WRITE)).as("a bucket").isEqualTo(FailureKind.FATAL);
        assertThat(ReplyClassifier.describe(refused, BUCKET_WRITE)).contains("redis.bucket.prefix", "~<prefix>*");

        try (RespClient admin = redis.client()) {
            admin.set("device:b:1", "a string, not a bucket");
        }
        Throwable wrongType = replyTo(null, c -> c.hset("device:b:1", "k", "v"));
        assertThat(wrongType).hasMessageStartingWith("WRONGTYPE");
        assertThat(ReplyClassifier.classify(wrongType, BUCKET_WRITE)).isEqualTo(FailureKind.FATAL);
        assertThat(ReplyClassifier.describe(wrongType, BUCKET_WRITE)).contains("another writer uses the prefix",
                "redis.bucket.prefix");

        Throwable noHset = replyTo("no-hset", c -> c.hset("device:b:2", "k", "v"));
        assertThat(ReplyClassifier.classify(noHset, BUCKET_WRITE)).isEqualTo(FailureKind.FATAL);
        assertThat(ReplyClassifier.describe(noHset, BUCKET_WRITE)).contains("+hset +hdel", "redis.username");
    }

    @Test
    void anExpiryRedisCannotRepresentIsASetting() {
        Throwable reply = replyTo(null, c -> c.set("k", "v", SetArgs.Builder.px(Long.MAX_VALUE)));
        assertThat(reply).hasMessageContaining("invalid expire time");
        assertThat(ReplyClassifier.classify(reply)).isEqualTo(FailureKind.FATAL);
        assertThat(ReplyClassifier.describe(reply)).contains("ttl.ms");
    }

    @Test
    void outOfMemoryAndAReadOnlyReplicaAreTransient() {
        try (RespClient admin = redis.client()) {
            admin.configSet("maxmemory", "1");
            try {
                Throwable oom = replyTo(null, c -> c.set("k", "v"));
                assertThat(oom).hasMessageStartingWith("OOM");
                assertThat(ReplyClassifier.classify(oom)).isEqualTo(FailureKind.TRANSIENT);
            } finally {
                admin.configSet("maxmemory", "0");
            }
            // a replica of a master that is not there: writes are refused until a failover makes it a master again
            admin.command("REPLICAOF", "127.0.0.1", "1");
            try {
                Throwable readOnly = replyTo(null, c -> c.set("k", "v"));
                assertThat(readOnly).hasMessageStartingWith("READONLY");
                assertThat(ReplyClassifier.classify(readOnly)).isEqualTo(FailureKind.TRANSIENT);
            } finally {
                admin.command("REPLICAOF", "NO", "ONE");
            }
        }
    }

    @Test
    void aValueOverProtoMaxBulkLenIsAboutThatRecord() {
        try (RespClient admin = redis.client()) {
            admin.configSet("proto-max-bulk-len", "1mb");
            Throwable reply = replyTo(null, c -> c.set("k", "x".repeat(1024 * 1024 + 1)));
            assertThat(reply).hasMessageContaining("invalid bulk length");
            assertThat(ReplyClassifier.classify(reply)).isEqualTo(FailureKind.PERMANENT);
        }
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource(delimiter = '|', value = {
            // key-level NOPERM, as Redis 6.2/7.0 and 7.2+ word it
            "NOPERM this user has no permissions to access one of the keys used as arguments | PERMANENT",
            "NOPERM No permissions to access a key | PERMANENT",
            // command-level NOPERM: 6.2, 7.0, 7.2+
            "NOPERM this user has no permissions to run the 'set' command or its subcommand | FATAL",
            "NOPERM this user has no permissions to run the 'del' command | FATAL",
            "NOPERM User sink has no permissions to run the 'set' command | FATAL",
            "NOPERM something we have never seen | FATAL",
            "ERR invalid expire time in 'set' command | FATAL",
            "ERR Protocol error: invalid bulk length | PERMANENT",
            "OOM command not allowed when used memory > 'maxmemory'. | TRANSIENT",
            "LOADING Redis is loading the dataset in memory | TRANSIENT",
            "READONLY You can't write against a read only replica. | TRANSIENT",
            "MASTERDOWN Link with MASTER is down and replica-serve-stale-data is set to 'no'. | TRANSIENT",
            "BUSY Redis is busy running a script. You can only call SCRIPT KILL or SHUTDOWN NOSAVE. | TRANSIENT",
            "TRYAGAIN Multiple keys request during rehashing of slot | TRANSIENT",
            "CLUSTERDOWN The cluster is down | TRANSIENT",
            "MOVED 3999 127.0.0.1:6381 | TRANSIENT",
            "ASK 3999 127.0.0.1:6381 | TRANSIENT",
            "NOAUTH Authentication required. | TRANSIENT",
            "ERR max number of clients reached | TRANSIENT",
            "SOMETHINGNEW we have never seen | TRANSIENT"})
    void everyReplyWording(String reply, FailureKind kind) {
        assertThat(ReplyClassifier.classify(new RedisCommandExecutionException(reply))).isEqualTo(kind);
    }

    @Test
    void connectionProblemsAreTransient() {
        assertThat(ReplyClassifier.classify(new RedisCommandTimeoutException("Command timed out after 1 second(s)")))
                .isEqualTo(FailureKind.TRANSIENT);
        assertThat(ReplyClassifier.classify(new RedisConnectionException("Unable to connect"))).isEqualTo(FailureKind.TRANSIENT);
        assertThat(ReplyClassifier.classify(new RedisException("Currently not connected. Commands are rejected.")))
                .isEqualTo(FailureKind.TRANSIENT);
    }
}
