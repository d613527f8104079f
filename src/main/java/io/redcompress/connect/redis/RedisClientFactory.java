package io.redcompress.connect.redis;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisCredentials;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.SslOptions;
import io.lettuce.core.SslVerifyMode;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.cluster.ClusterClientOptions;
import io.lettuce.core.cluster.ClusterTopologyRefreshOptions;
import io.lettuce.core.cluster.RedisClusterClient;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import io.lettuce.core.codec.ByteArrayCodec;
import io.redcompress.connect.config.RedisMode;
import io.redcompress.connect.config.RedisSinkConfig;
import io.redcompress.connect.config.StoreType;

/**
 * Builds Lettuce clients from the connector config: standalone, Sentinel or Cluster; TLS with a trust store and an
 * optional client certificate; ACL user or password. Secrets go from {@link Password} straight into Lettuce and
 * never into a message.
 */
public final class RedisClientFactory {

    private RedisClientFactory() {
    }

    /** Opens a client and a byte[] connection, auto-flush on: for checks (PING, INFO), not for writes. */
    static LettuceConnection connect(RedisSinkConfig config) {
        List<RedisURI> uris = redisUris(config);
        if (config.redisMode() == RedisMode.CLUSTER) {
            return LettuceConnection.cluster(clusterClient(config, uris));
        }
        return LettuceConnection.standalone(standaloneClient(config, uris));
    }

    /**
     * Opens the connections writes go through, with the client the checks used (so a task start builds one): the
     * one server (or Sentinel-found master), or every master of a cluster, each on its own connection with
     * auto-flush off. The targets own the client from here on.
     */
    static WriteTargets connectWriteTargets(RedisSinkConfig config, AbstractRedisClient client) {
        List<RedisURI> uris = redisUris(config);
        if (client instanceof RedisClusterClient topology) {
            RedisClient nodeClient = null;
            try {
                // node connections share the process's Lettuce threads; they do not reconnect by themselves: a lost
                // connection fails what it carried (retried) and is replaced before the next pipeline, to whichever
                // node then serves the slots
                nodeClient = RedisClient.create(acquireResources());
                ClientOptions.Builder options = ClientOptions.builder();
                applyCommonOptions(options, config, uris);
                nodeClient.setOptions(options.autoReconnect(false).build());
                return ClusterNodes.open(topology, nodeClient, uris.get(0), config.connectTimeout());
            } catch (RuntimeException e) {
                if (nodeClient != null) {
                    shutdown(nodeClient);
                }
                shutdown(topology);
                throw e;
            }
        }
        RedisClient standalone = (RedisClient) client;
        try {
            return new SingleNode(standalone, new NodeLink(describeEndpoint(config), standalone.connect(ByteArrayCodec.INSTANCE)));
        } catch (RuntimeException e) {
            shutdown(standalone);
            throw e;
        }
    }

    private static ClientResources sharedResources;
    private static int resourceUsers;
    private static long clientsCreated;

    /**
     * Lettuce's threads and event loops, one set for every client of every task of this plugin in the worker (the
     * expensive part of a client); released with the last client.
     */
    private static synchronized ClientResources acquireResources() {
        clientsCreated++;
        if (resourceUsers++ == 0) {
            sharedResources = DefaultClientResources.create();
        }
        return sharedResources;
    }

    private static synchronized void releaseResources() {
        if (--resourceUsers == 0) {
            sharedResources.shutdown(0, 2, java.util.concurrent.TimeUnit.SECONDS);
            sharedResources = null;
        }
    }

    private static RedisClusterClient clusterClient(RedisSinkConfig config, List<RedisURI> uris) {
        ClusterClientOptions.Builder clusterOptions = ClusterClientOptions.builder()
                .maxRedirects(5)
                .topologyRefreshOptions(ClusterTopologyRefreshOptions.builder()
                        .enablePeriodicRefresh(java.time.Duration.ofSeconds(30))
                        .enableAllAdaptiveRefreshTriggers()
                        .build());
        applyCommonOptions(clusterOptions, config, uris);
        RedisClusterClient client = RedisClusterClient.create(acquireResources(), uris);
        client.setOptions(clusterOptions.build());
        return client;
    }

    private static RedisClient standaloneClient(RedisSinkConfig config, List<RedisURI> uris) {
        ClientOptions.Builder options = ClientOptions.builder();
        applyCommonOptions(options, config, uris);
        RedisClient client = RedisClient.create(acquireResources(), uris.get(0));
        client.setOptions(options.build());
        return client;
    }

    private static void applyCommonOptions(ClientOptions.Builder options, RedisSinkConfig config, List<RedisURI> uris) {
        options.autoReconnect(true)
                // fail commands at once while disconnected: we retry them ourselves, with backoff and a bound
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()));
        if (uris.stream().anyMatch(RedisURI::isSsl) || config.truststoreLocation() != null || config.keystoreLocation() != null) {
            options.sslOptions(sslOptions(config));
        }
    }

    static List<RedisURI> redisUris(RedisSinkConfig config) {
        List<RedisURI> uris = new ArrayList<>();
        String[] parts = config.redisMode() == RedisMode.CLUSTER ? config.redisUri().split(",") : new String[] {config.redisUri()};
        for (String part : parts) {
            if (!part.isBlank()) {
                uris.add(redisUri(config, part.trim()));
            }
        }
        if (uris.isEmpty()) {
            throw new ConfigException(RedisSinkConfig.REDIS_URI + " names no Redis node");
        }
        return uris;
    }

    private static RedisURI redisUri(RedisSinkConfig config, String text) {
        RedisURI uri;
        try {
            uri = RedisURI.create(text);
        } catch (IllegalArgumentException e) {
            // Lettuce's message can echo the URI, which may hold a password: keep only the shape of the problem
            throw new ConfigException(RedisSinkConfig.REDIS_URI + " is not a valid Redis URI (expected redis://host:port[/database], "
                    + "rediss://..., or redis-sentinel://host:port[,host:port]#masterName)");
        }
        boolean sentinelUri = uri.getSentinelMasterId() != null;
        if (sentinelUri != (config.redisMode() == RedisMode.SENTINEL)) {
            throw new ConfigException(RedisSinkConfig.REDIS_MODE + "=" + config.redisMode() + " does not match "
                    + RedisSinkConfig.REDIS_URI + ": " + (sentinelUri
                    ? "a redis-sentinel:// URI needs redis.mode=sentinel"
                    : "redis.mode=sentinel needs redis.uri=redis-sentinel://host:port[,host:port]#masterName"));
        }
        Password password = config.redisPassword();
        String username = config.redisUsername();
        if (password != null && password.value() != null && !password.value().isEmpty()) {
            String user = username != null && !username.isEmpty() ? username : userInUri(text);
            if (user != null) {
                uri.setAuthentication(user, password.value().toCharArray());
            } else {
                uri.setAuthentication(password.value().toCharArray());
            }
        } else if (username != null && !username.isEmpty()) {
            throw new ConfigException(RedisSinkConfig.REDIS_USERNAME + " is set but " + RedisSinkConfig.REDIS_PASSWORD
                    + " is not; set both for an ACL user");
        }
        uri.setTimeout(config.commandTimeout());
        if (uri.isSsl()) {
            uri.setVerifyPeer(config.hostnameVerification() ? SslVerifyMode.FULL : SslVerifyMode.CA);
        }
        return uri;
    }

    /** The ACL user the connection authenticates as: redis.username, else the user in redis.uri, else "default". */
    static String aclUser(RedisSinkConfig config) {
        String username = config.redisUsername();
        if (username != null && !username.isEmpty()) {
            return username;
        }
        String inUri = userInUri(config.redisUri().split(",")[0].trim());
        return inUri != null ? inUri : "default";
    }

    /** True when redis.password is unset and the password Redis was given came from redis.uri (user:password@host). */
    static boolean passwordOnlyInUri(RedisSinkConfig config) {
        Password password = config.redisPassword();
        if (password != null && password.value() != null && !password.value().isEmpty()) {
            return false;
        }
        try {
            for (RedisURI uri : redisUris(config)) {
                // the provider of a parsed URI holds the user-info as it was: resolving it does no I/O
                RedisCredentials credentials = uri.getCredentialsProvider() == null ? null
                        : uri.getCredentialsProvider().resolveCredentials().block(java.time.Duration.ofSeconds(1));
                if (credentials != null && credentials.hasPassword()) {
                    return true;
                }
            }
            return false;
        } catch (ConfigException e) {
            return false;
        }
    }

    /** The ACL user of redis://user:password@host, or null for redis://:password@host and redis://host. */
    private static String userInUri(String redisUri) {
        try {
            String userInfo = java.net.URI.create(redisUri).getUserInfo();
            if (userInfo == null || !userInfo.contains(":")) {
                return null;
            }
            String user = userInfo.substring(0, userInfo.indexOf(':'));
            return user.isEmpty() ? null : user;
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static SslOptions sslOptions(RedisSinkConfig config) {
        SslOptions.Builder ssl = SslOptions.builder().jdkSslProvider().handshakeTimeout(config.connectTimeout());
        if (config.truststoreLocation() != null) {
            ssl.trustManager(trustManagers(config));
        }
        if (config.keystoreLocation() != null) {
            ssl.keyManager(keyManagers(config));
        }
        return ssl.build();
    }

    private static TrustManagerFactory trustManagers(RedisSinkConfig config) {
        String location = config.truststoreLocation();
        try {
            KeyStore store;
            if (config.truststoreType() == StoreType.PEM) {
                store = KeyStore.getInstance("PKCS12");
                store.load(null, null);
                try (InputStream in = Files.newInputStream(Path.of(location))) {
                    int i = 0;
                    for (Certificate certificate : CertificateFactory.getInstance("X.509").generateCertificates(in)) {
                        store.setCertificateEntry("ca-" + i++, certificate);
                    }
                    if (i == 0) {
                        throw new GeneralSecurityException("no PEM certificate in the file");
                    }
                }
            } else {
                store = loadStore(location, config.truststoreType(), config.truststorePassword());
            }
            TrustManagerFactory factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            factory.init(store);
            return factory;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(RedisSinkConfig.SSL_TRUSTSTORE_LOCATION + "=" + location + " cannot be read as a "
                    + config.truststoreType() + " trust store (" + RedisSinkConfig.SSL_TRUSTSTORE_TYPE + "): " + e.getMessage());
        }
    }

    private static KeyManagerFactory keyManagers(RedisSinkConfig config) {
        String location = config.keystoreLocation();
        if (config.keystoreType() == StoreType.PEM) {
            throw new ConfigException(RedisSinkConfig.SSL_KEYSTORE_TYPE + "=pem is not supported for client certificates; "
                    + "use a jks or pkcs12 key store");
        }
        try {
            KeyStore store = loadStore(location, config.keystoreType(), config.keystorePassword());
            KeyManagerFactory factory = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            factory.init(store, chars(config.keystorePassword()));
            return factory;
        } catch (IOException | GeneralSecurityException e) {
            throw new ConfigException(RedisSinkConfig.SSL_KEYSTORE_LOCATION + "=" + location + " cannot be read as a "
                    + config.keystoreType() + " key store with the given " + RedisSinkConfig.SSL_KEYSTORE_PASSWORD + ": " + e.getMessage());
        }
    }

    private static KeyStore loadStore(String location, StoreType type, Password password) throws IOException, GeneralSecurityException {
        KeyStore store = KeyStore.getInstance(type.name());
        try (InputStream in = Files.newInputStream(Path.of(location))) {
            store.load(in, chars(password));
        }
        return store;
    }

    private static char[] chars(Password password) {
        return password == null || password.value() == null ? new char[0] : password.value().toCharArray();
    }

    /** Where the configured Redis is, for messages: never the URI itself, which may carry a password. */
    public static String describeEndpoint(RedisSinkConfig config) {
        try {
            List<RedisURI> uris = redisUris(config);
            RedisURI first = uris.get(0);
            if (first.getSentinelMasterId() != null) {
                return "master '" + first.getSentinelMasterId() + "' via sentinels "
                        + first.getSentinels().stream().map(s -> s.getHost() + ":" + s.getPort()).collect(Collectors.joining(","));
            }
            String nodes = uris.stream().map(u -> u.getHost() + ":" + u.getPort()).collect(Collectors.joining(","));
            return config.redisMode() == RedisMode.CLUSTER ? "cluster " + nodes : nodes;
        } catch (ConfigException e) {
            return "(invalid " + RedisSinkConfig.REDIS_URI + ")";
        }
    }

    /** Shuts a client down (its connections; the shared threads stay while other clients use them). */
    static void shutdown(AbstractRedisClient client) {
        try {
            client.shutdown(java.time.Duration.ZERO, java.time.Duration.ofSeconds(2));
        } finally {
            releaseResources();
        }
    }

    /** How many clients use the shared Lettuce resources now; for tests. */
    static synchronized int clientsUsingSharedResources() {
        return resourceUsers;
    }

    /** How many clients were ever created in this class loader; for tests. */
    static synchronized long clientsCreated() {
        return clientsCreated;
    }
}
