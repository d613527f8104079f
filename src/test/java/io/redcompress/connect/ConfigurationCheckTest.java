package io.redcompress.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.ConfigValue;
import org.apache.kafka.connect.errors.ConnectException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.testing.LogCapture;
import io.redcompress.connect.testing.RedisClusterProcess;
import io.redcompress.connect.testing.RedisServerProcess;
import io.redcompress.connect.testing.RespClient;

/**
 * A configuration that every record would fail on is refused before the first record — by validate() and by a
 * task's start, in the same words, on the key to change — against a real redis-server with ACL users.
 */
class ConfigurationCheckTest {

    private static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.builder().start();
        try (RespClient admin = redis.client()) {
            // may run ACL DRYRUN (part of +@all), so every command is checked exactly
            admin.command("ACL", "SETUSER", "devices", "on", ">pw", "~device:*", "+@all");
            admin.command("ACL", "SETUSER", "no-del", "on", ">pw", "~*", "+@all", "-del");
            // what a least-privilege operator grants: no ACL DRYRUN, so SET is checked with a probe that writes nothing
            admin.command("ACL", "SETUSER", "narrow", "on", ">pw", "~device:*", "+set", "+del", "+ping", "+info", "+hello",
                    "+auth", "+client");
        }
    }

    @AfterAll
    static void stopRedis() {
        redis.close();
    }

    private static Map<String, String> props(String... keyValues) {
        Map<String, String> props = new HashMap<>();
        props.put("connector.class", RedisCompressedSinkConnector.class.getName());
        props.put("topics", "heartbeats");
        props.put("redis.uri", redis.uri());
        for (int i = 0; i < keyValues.length; i += 2) {
            props.put(keyValues[i], keyValues[i + 1]);
        }
        return props;
    }

    private static Map<String, List<String>> errors(Map<String, String> props) {
        Config config = new RedisCompressedSinkConnector().validate(props);
        Map<String, List<String>> errors = new HashMap<>();
        for (ConfigValue value : config.configValues()) {
            if (!value.errorMessages().isEmpty()) {
                errors.put(value.name(), value.errorMessages());
            }
        }
        return errors;
    }

    private static String startFailure(Map<String, String> props) {
        RedisCompressedSinkTask task = new RedisCompressedSinkTask();
        task.initialize(new FakeSinkTaskContext(true));
        try {
            task.start(props);
        } catch (ConnectException | ConfigException e) {
            return e.getMessage();
        } finally {
            task.stop();
        }
        throw new AssertionError("the task started");
    }

    @Test
    void optionsOfAnotherCommandAndCommandsBucketsCannotCarryAreRefusedOnTheKeyToChange() {
        assertThat(errors(props("redis.command", "xadd", "redis.list.max.length", "10")).get("redis.list.max.length"))
                .singleElement().asString().contains("caps lists", "redis.command=xadd");
        assertThat(errors(props("redis.command", "rpush", "redis.stream.max.length", "10")).get("redis.stream.max.length"))
                .singleElement().asString().contains("redis.command=xadd");
        assertThat(errors(props("redis.stream.extra.fields", "key")).get("redis.stream.extra.fields")).isNotEmpty();
        assertThat(errors(props("redis.command", "xadd", "redis.stream.extra.fields", "key,bogus"))
                .get("redis.stream.extra.fields")).singleElement().asString().contains("header.<name>");
        assertThat(errors(props("redis.command", "lpush", "redis.layout", "buckets", "redis.bucket.prefix", "b:",
                "redis.bucket.count", "10")).get("redis.layout")).singleElement().asString().contains("redis.command=lpush");
        assertThat(startFailure(props("redis.command", "xadd", "redis.list.max.length", "10")))
                .contains("(config key: redis.list.max.length)");
        assertThat(errors(props("redis.command", "LPUSH", "redis.list.max.length", "100"))).isEmpty();
        assertThat(errors(props("redis.command", "xadd", "redis.stream.max.length", "1000",
                "redis.stream.extra.fields", "key, timestamp, header.trace-id"))).isEmpty();
        assertThat(errors(props("redis.command", "rpush", "redis.stream.max.age.ms", "60000"))
                .get("redis.stream.max.age.ms")).singleElement().asString().contains("redis.command=xadd");
        assertThat(errors(props("redis.command", "xadd", "redis.stream.max.length", "1000",
                "redis.stream.max.age.ms", "60000")).get("redis.stream.max.age.ms")).singleElement().asString()
                .contains("not both");
        assertThat(errors(props("redis.command", "xadd", "redis.stream.max.age.ms", "60000"))).isEmpty();
    }

    @Test
    void structureCommandsNeedTheirOwnOptionsOnly() {
        assertThat(errors(props("redis.command", "zadd")).get("redis.zset.score")).singleElement().asString()
                .contains("needs a score");
        assertThat(errors(props("redis.command", "sadd", "redis.zset.score", "timestamp")).get("redis.zset.score"))
                .singleElement().asString().contains("not of redis.command=sadd");
        assertThat(errors(props("redis.hash.fields", "a,b:c")).get("redis.hash.fields")).singleElement().asString()
                .contains("not of redis.command=set");
        assertThat(errors(props("redis.command", "hset", "redis.hash.fields", "a:x,b:x")).get("redis.hash.fields"))
                .isNotEmpty();
        assertThat(errors(props("redis.command", "sadd")).get("behavior.on.null.values")).singleElement().asString()
                .contains("needs the value");
        assertThat(errors(props("redis.command", "sadd", "redis.member.template", "${key}"))).isEmpty();
        assertThat(errors(props("redis.command", "zadd", "redis.zset.score", "timestamp", "behavior.on.null.values", "ignore")))
                .isEmpty();
        assertThat(errors(props("redis.command", "sadd", "redis.member.template", "${key}", "compression.codec", "zstd",
                "compression.dictionary", "auto")).get("compression.dictionary")).singleElement().asString()
                .contains("without a dictionary");
        assertThat(errors(props("redis.command", "hset", "compression.codec", "zstd", "compression.dictionary", "auto")))
                .as("hash fields are compressed with the topic's dictionary").isEmpty();
        assertThat(startFailure(props("redis.command", "zadd"))).contains("(config key: redis.zset.score)");
    }

    @Test
    void appendsNeedTheScriptTheCommandAndTheMarksAllowedEachNamedOnItsKey() {
        try (RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "lists-only", "on", ">pw", "~dev:*", "+@all");
            admin.command("ACL", "SETUSER", "no-eval", "on", ">pw", "~*", "+@all", "-eval");
        }
        Map<String, String> marksRefused = props("redis.command", "rpush", "key.template", "dev:${key}",
                "redis.username", "lists-only", "redis.password", "pw");
        assertThat(errors(marksRefused).get("redis.exactly.once.key.prefix")).singleElement().asString()
                .contains("high-water marks", "redcompress:eo:", "at_least_once");
        assertThat(startFailure(marksRefused)).contains("(config key: redis.exactly.once.key.prefix)");
        marksRefused.put("redis.delivery.guarantee", "at_least_once");
        assertThat(errors(marksRefused)).as("no marks at least once").isEmpty();
        assertThat(errors(props("redis.command", "xadd", "redis.username", "no-eval", "redis.password", "pw"))
                .get("redis.username")).singleElement().asString().contains("EVAL", "+eval +xadd");
    }

    @Test
    void bucketsNeedAPrefixAndExactlyOneWayToTheCount() {
        assertThat(errors(props("redis.layout", "buckets", "redis.bucket.count", "10")).get("redis.bucket.prefix"))
                .singleElement().asString().contains("needs redis.bucket.prefix");
        assertThat(errors(props("redis.layout", "buckets", "redis.bucket.prefix", "b:")).get("redis.bucket.count"))
                .singleElement().asString().contains("exactly one of redis.bucket.count", "redis.bucket.expected.keys");
        assertThat(errors(props("redis.layout", "buckets", "redis.bucket.prefix", "b:", "redis.bucket.count", "10",
                "redis.bucket.expected.keys", "1000")).get("redis.bucket.count")).singleElement().asString().contains("both are set");
        assertThat(startFailure(props("redis.layout", "buckets", "redis.bucket.count", "10")))
                .contains("needs redis.bucket.prefix", "(config key: redis.bucket.prefix)");
        assertThat(errors(props("redis.layout", "buckets", "redis.bucket.prefix", "cc:", "redis.bucket.count", "10"))).isEmpty();
        assertThat(errors(props("redis.layout", "buckets", "redis.bucket.prefix", "b1", "redis.bucket.count", "10"))
                .get("redis.bucket.prefix")).singleElement().asString().contains("ends in a digit", "bucket 10 of 'b'");
        assertThat(errors(props("redis.layout", "buckets", "redis.bucket.prefix", "b:", "redis.bucket.expected.keys",
                "1000000000000")).get("redis.bucket.expected.keys")).isNotEmpty();
        assertThat(startFailure(props("redis.layout", "buckets", "redis.bucket.prefix", "{devices}:b:", "redis.bucket.count",
                "10", "redis.mode", "cluster"))).contains("holds a hash tag", "(config key: redis.bucket.prefix)");
    }

    @Test
    void aTaskBesideAStoredLayoutOfAnotherCountDoesNotStart() {
        try (RespClient admin = redis.client()) {
            admin.set("cm:layout", "layout=buckets version=1 hash=crc32-ieee count=5 field=logical-key");
        }
        Map<String, String> props = props("redis.layout", "buckets", "redis.bucket.prefix", "cm:", "redis.bucket.count", "6");
        assertThat(errors(props).get("redis.bucket.count")).singleElement().asString().contains("count=5", "redis.bucket.count=6");
        assertThat(startFailure(props)).contains("count=5", "redis.bucket.count=6", "(config key: redis.bucket.count)");
    }

    @Test
    void ttlWithBucketsIsRefusedBeforeRedis74NamingTheVersion() {
        String version;
        try (RespClient admin = redis.client()) {
            version = admin.infoMap("server").get("redis_version");
        }
        Map<String, List<String>> errors = errors(props("redis.layout", "buckets", "redis.bucket.prefix", "ct:",
                "redis.bucket.count", "3", "ttl.ms", "1000"));
        String[] parts = version.split("\\.");
        boolean fieldExpiry = Integer.parseInt(parts[0]) > 7 || parts[0].equals("7") && Integer.parseInt(parts[1]) >= 4;
        if (fieldExpiry) {
            assertThat(errors).isEmpty();
        } else {
            assertThat(errors.get("ttl.ms")).singleElement().asString().contains("Redis has from 7.4 on", "is " + version);
        }
    }

    @Test
    void aKeyOutsideTheUsersKeyPatternsIsRefusedOnKeyTemplate() {
        Map<String, String> props = props("redis.username", "devices", "redis.password", "pw", "key.template", "other:${key}");
        assertThat(errors(props)).containsOnlyKeys("key.template");
        assertThat(errors(props).get("key.template")).singleElement().asString()
                .contains("'devices' may not write any key").contains("other:*").contains("[device:*]")
                .contains("SET other:sample").contains("dead-letter topic");
        assertThat(startFailure(props)).contains("'devices' may not write any key").contains("(config key: key.template)");

        assertThat(errors(props("redis.username", "devices", "redis.password", "pw", "key.template", "device:${key}"))).isEmpty();
    }

    @Test
    void aSampleKeyRefusedWhereOtherKeysOfTheTemplateAreAllowedIsNoError() {
        // device:sample is refused, device:0042 would not be: records decide, one by one (the dead-letter topic)
        try (RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "numbered", "on", ">pw", "~device:[0-9]*", "+@all");
        }
        try (LogCapture logs = LogCapture.start()) {
            assertThat(errors(props("redis.username", "numbered", "redis.password", "pw", "key.template", "device:${key}"))).isEmpty();
            assertThat(logs.text()).contains("may not write the sample key").contains("device:[0-9]*");
        }
    }

    @Test
    void withoutAclDryRunAProbeThatWritesNothingChecksTheCommandsAndWarnsAboutTheKey() {
        try (LogCapture logs = LogCapture.start()) {
            Map<String, String> props = props("redis.username", "narrow", "redis.password", "pw", "key.template", "other:${topic}:${key}");
            assertThat(errors(props)).as("without the user's key patterns a refused sample key proves nothing").isEmpty();
            assertThat(logs.text()).contains("'narrow' may not write the sample key").contains("other:heartbeats:sample");
        }
        assertThat(errors(props("redis.username", "narrow", "redis.password", "pw", "key.template", "device:${key}"))).isEmpty();
        try (RespClient admin = redis.client()) {
            admin.command("ACL", "SETUSER", "narrow-no-set", "on", ">pw", "~device:*", "+del", "+ping", "+info", "+hello",
                    "+auth", "+client");
        }
        assertThat(errors(props("redis.username", "narrow-no-set", "redis.password", "pw", "key.template", "device:${key}"))
                .get("redis.username")).singleElement().asString().contains("may not run SET device:sample");
        try (RespClient admin = redis.client()) {
            assertThat(admin.keys("*")).as("the probes wrote nothing").isEmpty();
        }
    }

    @Test
    void aCommandTheUserMayNotRunIsRefusedOnRedisUsername() {
        Map<String, String> props = props("redis.username", "no-del", "redis.password", "pw");
        assertThat(errors(props).get("redis.username")).singleElement().asString()
                .contains("'no-del' may not run DEL heartbeats:sample").contains("+del");
        assertThat(startFailure(props)).contains("may not run DEL").contains("(config key: redis.username)");
        // tombstones ignored: DEL is never sent, so it need not be allowed
        assertThat(errors(props("redis.username", "no-del", "redis.password", "pw", "behavior.on.null.values", "ignore"))).isEmpty();
    }

    @Test
    void aWaitTimeoutTheClientWouldNotWaitForIsRefused() {
        Map<String, String> props = props("redis.wait.replicas", "1", "redis.wait.timeout.ms", "30000");
        assertThat(errors(props).get("redis.wait.timeout.ms")).singleElement().asString()
                .contains("is not below redis.command.timeout.ms=30000");
        assertThat(startFailure(props)).contains("(config key: redis.wait.timeout.ms)");
    }

    @Test
    void fewerConnectedReplicasThanRedisWaitReplicasIsAWarningNamingBoth() {
        try (LogCapture logs = LogCapture.start()) {
            // a replica may be restarting when the connector is configured: not an error, but the stream will stall
            assertThat(errors(props("redis.wait.replicas", "2", "redis.wait.timeout.ms", "500"))).isEmpty();
            assertThat(logs.text()).contains("redis.wait.replicas=2 but the master at 127.0.0.1:" + redis.port()
                    + " has 0 connected replica(s)").contains("redis.wait.timeout.ms=500");
        }
    }

    @Test
    void inAClusterEveryMasterWithTooFewReplicasIsNamed() {
        try (RedisClusterProcess cluster = RedisClusterProcess.builder().masters(1).start();
             LogCapture logs = LogCapture.start()) {
            Map<String, String> props = props("redis.mode", "cluster", "redis.uri", cluster.seedUri(), "redis.wait.replicas", "1");
            assertThat(errors(props)).isEmpty();
            assertThat(logs.text()).contains("redis.wait.replicas=1 but the master at " + cluster.masters().get(0).host() + ":"
                    + cluster.masters().get(0).port() + " has 0 connected replica(s)");
        }
    }

    @Test
    void aTtlRedisCannotAddToItsClockIsRefused() {
        assertThat(errors(props("ttl.ms", Long.toString(Long.MAX_VALUE)))).containsOnlyKeys("ttl.ms");
        assertThat(errors(props("ttl.ms", "3153600000000"))).isEmpty();
    }

    @Test
    void aBadKeyTemplateGetsTheSameWordsAtValidateAndAtStart() {
        Map<String, String> props = props("key.template", "dev:${nope}");
        assertThat(errors(props).get("key.template")).singleElement().asString().contains("unknown placeholder ${nope}");
        assertThatThrownBy(() -> {
            RedisCompressedSinkTask task = new RedisCompressedSinkTask();
            task.initialize(new FakeSinkTaskContext(true));
            task.start(props);
        }).isInstanceOf(ConfigException.class).hasMessageContaining("key.template").hasMessageContaining("unknown placeholder ${nope}");
    }

    @Test
    void theSampleTopicIsTheFirstConfiguredOne() {
        assertThat(ConfigurationCheck.sampleTopic(Map.of("topics", " a, b"))).isEqualTo("a");
        assertThat(ConfigurationCheck.sampleTopic(Map.of("topics.regex", "a.*"))).isEqualTo("sample");
    }
}
