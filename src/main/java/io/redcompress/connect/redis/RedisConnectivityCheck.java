package io.redcompress.connect.redis;

import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.config.ConfigException;

import io.redcompress.connect.config.RedisMode;
import io.redcompress.connect.config.RedisSinkConfig;

/**
 * Connects and PINGs once, and checks the deployment is the kind redis.mode says. Used by
 * {@code Connector.validate()} and by a task's start, so both report a problem in the same words, attached to the
 * config key the operator should change.
 */
public final class RedisConnectivityCheck {

    /** A problem found, with the config key the operator should change. */
    public record Problem(String configKey, String message) {
    }

    private RedisConnectivityCheck() {
    }

    public static Optional<Problem> ping(RedisSinkConfig config) {
        String endpoint = RedisClientFactory.describeEndpoint(config);
        LettuceConnection redis;
        try {
            redis = RedisClientFactory.connect(config);
        } catch (ConfigException e) {
            return Optional.of(new Problem(configKeyNamedIn(e.getMessage()), e.getMessage()));
        } catch (RuntimeException e) {
            return Optional.of(problem(config, endpoint, e));
        }
        try (redis) {
            String pong = redis.commands().ping().get();
            if (!"PONG".equals(pong)) {
                return Optional.of(new Problem(RedisSinkConfig.REDIS_URI, "Redis at " + endpoint + " answered PING with " + pong));
            }
            if (config.redisMode() != RedisMode.CLUSTER) {
                Map<String, String> cluster = redis.info("cluster");
                if ("1".equals(cluster.get("cluster_enabled"))) {
                    return Optional.of(new Problem(RedisSinkConfig.REDIS_MODE, "Redis at " + endpoint + " is a Redis Cluster node; set "
                            + RedisSinkConfig.REDIS_MODE + "=cluster and list seed nodes in " + RedisSinkConfig.REDIS_URI));
                }
            }
            return Optional.empty();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return Optional.of(problem(config, endpoint, e));
        }
    }

    private static String configKeyNamedIn(String message) {
        for (String key : RedisSinkConfig.CONFIG_DEF.names()) {
            if (message != null && message.startsWith(key)) {
                return key;
            }
        }
        return RedisSinkConfig.REDIS_URI;
    }

    private static Problem problem(RedisSinkConfig config, String endpoint, Throwable e) {
        String causes = causeChain(e).replaceAll("[.\\s]+$", "");
        String upper = causes.toUpperCase(Locale.ROOT);
        if (upper.contains("WRONGPASS") || upper.contains("NOAUTH") || upper.contains("INVALID PASSWORD")
                || upper.contains("INVALID USERNAME-PASSWORD")) {
            if (RedisClientFactory.passwordOnlyInUri(config)) {
                return new Problem(RedisSinkConfig.REDIS_URI, "Redis at " + endpoint + " refused the credentials: " + causes
                        + ". Check the user and password in " + RedisSinkConfig.REDIS_URI + " (or set " + RedisSinkConfig.REDIS_USERNAME
                        + " and " + RedisSinkConfig.REDIS_PASSWORD + ", which take precedence).");
            }
            return new Problem(RedisSinkConfig.REDIS_PASSWORD, "Redis at " + endpoint + " refused the credentials: " + causes
                    + ". Check " + RedisSinkConfig.REDIS_USERNAME + " and " + RedisSinkConfig.REDIS_PASSWORD + ".");
        }
        if (isTlsFailure(e) || upper.contains("SSL") || upper.contains("TLS") || upper.contains("HANDSHAKE")
                || upper.contains("CERTIFICATE") || upper.contains("PKIX") || upper.contains("SUBJECT ALTERNATIVE")) {
            return new Problem(RedisSinkConfig.SSL_TRUSTSTORE_LOCATION, "TLS handshake with Redis at " + endpoint + " failed: " + causes
                    + ". Check " + RedisSinkConfig.SSL_TRUSTSTORE_LOCATION + " (the CA that signed Redis's certificate), "
                    + RedisSinkConfig.SSL_KEYSTORE_LOCATION + " (when Redis requires client certificates) and "
                    + RedisSinkConfig.SSL_ENDPOINT_IDENTIFICATION_ENABLED + " (the certificate must name the host).");
        }
        if (config.redisMode() == RedisMode.CLUSTER && (upper.contains("CLUSTER SUPPORT DISABLED")
                || upper.contains("CANNOT RETRIEVE") && upper.contains("PARTITIONS"))) {
            return new Problem(RedisSinkConfig.REDIS_MODE, "Redis at " + endpoint + " is not a Redis Cluster (" + causes + "); set "
                    + RedisSinkConfig.REDIS_MODE + "=standalone, or point " + RedisSinkConfig.REDIS_URI + " at cluster nodes.");
        }
        return new Problem(RedisSinkConfig.REDIS_URI, "Cannot reach Redis at " + endpoint + ": " + causes + ". Check "
                + RedisSinkConfig.REDIS_URI + " (and " + RedisSinkConfig.REDIS_CONNECT_TIMEOUT_MS + " for a slow network).");
    }

    private static boolean isTlsFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof javax.net.ssl.SSLException || t instanceof java.security.cert.CertificateException) {
                return true;
            }
        }
        return false;
    }

    private static String causeChain(Throwable e) {
        StringBuilder out = new StringBuilder();
        for (Throwable t = e; t != null && out.length() < 600; t = t.getCause()) {
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
