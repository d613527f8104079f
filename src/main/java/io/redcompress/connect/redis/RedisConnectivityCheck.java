package io.redcompress.connect.redis;

import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

import org.apache.kafka.common.config.ConfigException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.redcompress.connect.config.RedisLayout;
import io.redcompress.connect.config.RedisMode;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.layout.LayoutMarker;

/**
 * Connects once and checks Redis is ready for the configuration: it answers PING, it is the kind of deployment
 * redis.mode says, and the ACL user may send every command the configuration will send. Used by
 * {@code Connector.validate()} and by a task's start, so both report a problem in the same words, attached to the
 * config key the operator should change.
 */
public final class RedisConnectivityCheck {

    /** A problem found, with the config key the operator should change. */
    public record Problem(String configKey, String message) {

        /** The message and the key, as a task that cannot start says it (validate() attaches the message to the key). */
        public String withConfigKey() {
            return message + " (config key: " + configKey + ")";
        }
    }

    private static final Logger log = LoggerFactory.getLogger(RedisConnectivityCheck.class);

    private RedisConnectivityCheck() {
    }

    /**
     * Connects, PINGs, checks the deployment is the kind redis.mode says and that the ACL user may send every command
     * the configuration will send for {@code sampleKey} (and, when it may not, whether it may write any key of
     * {@code keyGlob}); warns when fewer replicas are connected than
     * redis.wait.replicas asks for.
     *
     * @return the problems found, each with the config key to change; empty when Redis is ready for this config
     */
    public static List<Problem> check(RedisSinkConfig config, byte[] sampleKey, String keyGlob) {
        Checked checked = open(config, sampleKey, keyGlob);
        checked.connection().ifPresent(LettuceConnection::close);
        return checked.problems();
    }

    /** The outcome of the checks: the problems, or (when there are none) the connection they ran on, still open. */
    record Checked(List<Problem> problems, Optional<LettuceConnection> connection) {
    }

    /** The checks of {@link #check}, leaving the connection open when they pass, for the writes to use its client. */
    static Checked open(RedisSinkConfig config, byte[] sampleKey, String keyGlob) {
        String endpoint = RedisClientFactory.describeEndpoint(config);
        LettuceConnection redis;
        try {
            redis = connectOnceMoreIfClosedEarly(config);
        } catch (ConfigException e) {
            return new Checked(List.of(new Problem(configKeyNamedIn(e.getMessage()), e.getMessage())), Optional.empty());
        } catch (RuntimeException e) {
            return new Checked(List.of(problem(config, endpoint, e)), Optional.empty());
        }
        List<Problem> problems = checks(redis, config, endpoint, sampleKey, keyGlob);
        if (!problems.isEmpty()) {
            redis.close();
            return new Checked(problems, Optional.empty());
        }
        return new Checked(List.of(), Optional.of(redis));
    }

    /**
     * A connection that closes during Lettuce's handshake ("Connection closed prematurely", seen now and then on a loaded
     * machine, with good and with wrong credentials) says nothing about the setting at fault: a second attempt gets
     * Redis's own answer, such as WRONGPASS, so the problem names the right key.
     */
    private static LettuceConnection connectOnceMoreIfClosedEarly(RedisSinkConfig config) {
        try {
            return RedisClientFactory.connect(config);
        } catch (ConfigException e) {
            throw e;
        } catch (RuntimeException e) {
            if (!causeChain(e).contains("closed prematurely")) {
                throw e;
            }
            log.debug("The connection to Redis closed during the handshake ({}); connecting once more", causeChain(e));
            return RedisClientFactory.connect(config);
        }
    }

    private static List<Problem> checks(LettuceConnection redis, RedisSinkConfig config, String endpoint, byte[] sampleKey,
                                        String keyGlob) {
        try {
            String pong = redis.commands().ping().get();
            if (!"PONG".equals(pong)) {
                return List.of(new Problem(RedisSinkConfig.REDIS_URI, "Redis at " + endpoint + " answered PING with " + pong));
            }
            if (config.redisMode() != RedisMode.CLUSTER) {
                Map<String, String> cluster = redis.info("cluster");
                if ("1".equals(cluster.get("cluster_enabled"))) {
                    return List.of(new Problem(RedisSinkConfig.REDIS_MODE, "Redis at " + endpoint + " is a Redis Cluster node; set "
                            + RedisSinkConfig.REDIS_MODE + "=cluster and list seed nodes in " + RedisSinkConfig.REDIS_URI));
                }
            }
            warnWhenTooFewReplicas(redis, config, endpoint);
            if (config.layout() == RedisLayout.BUCKETS) {
                Optional<Problem> layout = bucketLayoutProblem(redis, config, endpoint);
                if (layout.isPresent()) {
                    return List.of(layout.get());
                }
            }
            return new RedisPermissionCheck(redis.commands(), config, sampleKey, keyGlob).check();
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
            return List.of(problem(config, endpoint, e));
        }
    }

    /** Per-field expiry for ttl.ms (Redis 7.4+), and the stored layout marker agreeing with the configuration. */
    private static Optional<Problem> bucketLayoutProblem(LettuceConnection redis, RedisSinkConfig config, String endpoint)
            throws Exception {
        if (config.ttlMillis() > 0) {
            String version = redis.info("server").getOrDefault("redis_version", "0");
            if (!atLeast(version, 7, 4)) {
                return Optional.of(new Problem(RedisSinkConfig.TTL_MS, RedisSinkConfig.TTL_MS + "=" + config.ttlMillis()
                        + " with " + RedisSinkConfig.REDIS_LAYOUT + "=buckets needs per-field expiry (HPEXPIRE), which "
                        + "Redis has from 7.4 on; Redis at " + endpoint + " is " + version + ". Set " + RedisSinkConfig.TTL_MS
                        + "=0, use " + RedisSinkConfig.REDIS_LAYOUT + "=keys, or upgrade Redis."));
            }
        }
        byte[] markerKey = config.bucketLayout().markerKey();
        byte[] stored;
        try {
            // on the node that owns the key: the cluster connection's own routing may not have connected to it yet
            stored = redis.connectionFor(markerKey).async().get(markerKey).get();
        } catch (java.util.concurrent.ExecutionException e) {
            if (String.valueOf(e.getCause().getMessage()).startsWith("NOPERM")) {
                return Optional.empty(); // the ACL check that follows names the prefix
            }
            throw e;
        }
        if (stored == null) {
            return Optional.empty(); // the first task to start stores it
        }
        try {
            return BucketLayoutGuard.problem(LayoutMarker.parse(stored), config.bucketLayout(), config);
        } catch (IllegalArgumentException e) {
            return Optional.of(BucketLayoutGuard.notAMarker(markerKey, e));
        }
    }

    /** Whether a Redis version such as "7.0.15" is at least major.minor. */
    static boolean atLeast(String version, int major, int minor) {
        String[] parts = version.trim().split("\\.");
        try {
            int actualMajor = Integer.parseInt(parts[0]);
            int actualMinor = parts.length > 1 ? Integer.parseInt(parts[1]) : 0;
            return actualMajor > major || actualMajor == major && actualMinor >= minor;
        } catch (NumberFormatException e) {
            return false;
        }
    }

    private static void warnWhenTooFewReplicas(LettuceConnection redis, RedisSinkConfig config, String endpoint) throws Exception {
        if (config.waitReplicas() == 0) {
            return;
        }
        Map<String, Integer> replicas = config.redisMode() == RedisMode.CLUSTER ? redis.replicasPerMaster()
                : Map.of(endpoint, Integer.parseInt(redis.info("replication").getOrDefault("connected_slaves", "0")));
        replicas.forEach((master, connected) -> {
            if (connected < config.waitReplicas()) {
                log.warn("{}={} but the master at {} has {} connected replica(s) now: until more connect, every write to "
                        + "it waits {}={} ms for them and is retried, and the stream stalls", RedisSinkConfig.REDIS_WAIT_REPLICAS,
                        config.waitReplicas(), master, connected, RedisSinkConfig.REDIS_WAIT_TIMEOUT_MS,
                        config.waitTimeout().toMillis());
            }
        });
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
