package io.redcompress.connect.redis;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

import org.apache.kafka.common.config.ConfigException;

import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.redcompress.connect.config.RedisSinkConfig;

/** Connects and PINGs once, for {@code Connector.validate()} and a task's start. */
public final class RedisConnectivityCheck {

    /** A problem found, with the config key the operator should change. */
    public record Problem(String configKey, String message) {
    }

    private RedisConnectivityCheck() {
    }

    public static Optional<Problem> ping(RedisSinkConfig config) {
        String endpoint = RedisClientFactory.describeEndpoint(config);
        RedisClient client;
        try {
            client = RedisClientFactory.createClient(config);
        } catch (ConfigException e) {
            String key = e.getMessage() != null && e.getMessage().startsWith(RedisSinkConfig.REDIS_USERNAME)
                    ? RedisSinkConfig.REDIS_USERNAME : RedisSinkConfig.REDIS_URI;
            return Optional.of(new Problem(key, e.getMessage()));
        }
        try (StatefulRedisConnection<String, String> connection = client.connect()) {
            String pong = connection.sync().ping();
            if (!"PONG".equals(pong)) {
                return Optional.of(new Problem(RedisSinkConfig.REDIS_URI, "Redis at " + endpoint + " answered PING with " + pong));
            }
            return Optional.empty();
        } catch (RuntimeException e) {
            String causes = causeChain(e);
            String upper = causes.toUpperCase(Locale.ROOT);
            if (upper.contains("WRONGPASS") || upper.contains("NOAUTH") || upper.contains("INVALID PASSWORD")
                    || upper.contains("INVALID USERNAME-PASSWORD")) {
                return Optional.of(new Problem(RedisSinkConfig.REDIS_PASSWORD, "Redis at " + endpoint
                        + " refused the credentials: " + causes + ". Check " + RedisSinkConfig.REDIS_USERNAME + " and "
                        + RedisSinkConfig.REDIS_PASSWORD + "."));
            }
            return Optional.of(new Problem(RedisSinkConfig.REDIS_URI, "Cannot reach Redis at " + endpoint + ": " + causes
                    + ". Check " + RedisSinkConfig.REDIS_URI + " (and " + RedisSinkConfig.REDIS_CONNECT_TIMEOUT_MS + " for a slow network)."));
        } finally {
            client.shutdown(Duration.ZERO, Duration.ofSeconds(2));
        }
    }

    private static String causeChain(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null && out.length() < 500; t = t.getCause()) {
            if (out.length() > 0) {
                out.append(" <- ");
            }
            out.append(t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage());
            if (t.getCause() == t) {
                break;
            }
        }
        return out.toString();
    }
}
