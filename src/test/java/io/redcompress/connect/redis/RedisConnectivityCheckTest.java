package io.redcompress.connect.redis;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.testing.RedisServerProcess;

/** Refused credentials are reported on the key that holds the password, and never with it. */
class RedisConnectivityCheckTest {

    private static final String RIGHT = "right-horse-battery";
    private static final String WRONG = "wrong-staple-secret";
    private static RedisServerProcess redis;

    @BeforeAll
    static void startRedis() {
        redis = RedisServerProcess.builder().password(RIGHT).start();
    }

    @AfterAll
    static void stopRedis() {
        if (redis != null) {
            redis.close();
        }
    }

    private static RedisSinkConfig config(String... keysAndValues) {
        Map<String, String> props = new HashMap<>();
        props.put("redis.connect.timeout.ms", "2000");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            props.put(keysAndValues[i], keysAndValues[i + 1]);
        }
        return new RedisSinkConfig(props);
    }

    private static final byte[] SAMPLE_KEY = "t:sample".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    /** The first problem the checks find, as validate() attaches it. */
    private static java.util.Optional<RedisConnectivityCheck.Problem> check(RedisSinkConfig config) {
        return RedisConnectivityCheck.check(config, SAMPLE_KEY, "t:*").stream().findFirst();
    }

    private static String withPassword(String uri, String password) {
        return uri.replace("://", "://:" + password + "@");
    }

    @Test
    void redisVersionsCompareByMajorThenMinor() {
        assertThat(RedisConnectivityCheck.atLeast("7.4.0", 7, 4)).isTrue();
        assertThat(RedisConnectivityCheck.atLeast("8.0.2", 7, 4)).isTrue();
        assertThat(RedisConnectivityCheck.atLeast("7.10.1", 7, 4)).isTrue();
        assertThat(RedisConnectivityCheck.atLeast("7.2.5", 7, 4)).isFalse();
        assertThat(RedisConnectivityCheck.atLeast("7.0.15", 7, 4)).isFalse();
        assertThat(RedisConnectivityCheck.atLeast("6.2.6", 7, 4)).isFalse();
        assertThat(RedisConnectivityCheck.atLeast("garbage", 7, 4)).isFalse();
    }

    @Test
    void aWrongPasswordInsideRedisUriIsReportedOnRedisUri() {
        RedisConnectivityCheck.Problem problem = check(config("redis.uri", withPassword(redis.uri(), WRONG)))
                .orElseThrow();
        assertThat(problem.configKey()).isEqualTo("redis.uri");
        assertThat(problem.message()).contains("refused the credentials").contains("redis.uri")
                .doesNotContain(WRONG).doesNotContain(RIGHT);
    }

    @Test
    void aWrongRedisPasswordIsReportedOnRedisPasswordEvenWhenTheUriHasOneToo() {
        RedisConnectivityCheck.Problem problem = check(
                config("redis.uri", withPassword(redis.uri(), RIGHT), "redis.password", WRONG)).orElseThrow();
        assertThat(problem.configKey()).isEqualTo("redis.password");
        assertThat(problem.message()).contains("refused the credentials").doesNotContain(WRONG).doesNotContain(RIGHT);
    }

    @Test
    void noPasswordAnywhereIsReportedOnRedisPassword() {
        RedisConnectivityCheck.Problem problem = check(config("redis.uri", redis.uri())).orElseThrow();
        assertThat(problem.configKey()).isEqualTo("redis.password");
    }

    @Test
    void theRightPasswordInsideRedisUriWorks() {
        assertThat(check(config("redis.uri", withPassword(redis.uri(), RIGHT)))).isEmpty();
    }
}
