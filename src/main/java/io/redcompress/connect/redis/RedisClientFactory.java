package io.redcompress.connect.redis;

import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.common.config.types.Password;

import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.redcompress.connect.config.RedisSinkConfig;

/** Builds Lettuce clients from the connector config. Secrets go from {@link Password} straight into Lettuce. */
public final class RedisClientFactory {

    private RedisClientFactory() {
    }

    static RedisURI redisUri(RedisSinkConfig config) {
        RedisURI uri;
        try {
            uri = RedisURI.create(config.redisUri());
        } catch (IllegalArgumentException e) {
            // Lettuce's message can echo the URI, which may hold a password: keep only the shape of the problem
            throw new ConfigException(RedisSinkConfig.REDIS_URI + " is not a valid Redis URI (expected redis://host:port[/database] "
                    + "or rediss://...)");
        }
        Password password = config.redisPassword();
        String username = config.redisUsername();
        if (password != null && password.value() != null && !password.value().isEmpty()) {
            String user = username != null && !username.isEmpty() ? username : userInUri(config.redisUri());
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
        return uri;
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

    static RedisClient createClient(RedisSinkConfig config) {
        RedisClient client = RedisClient.create(redisUri(config));
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                // fail commands at once while disconnected: we retry them ourselves, with backoff and a bound
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .socketOptions(SocketOptions.builder().connectTimeout(config.connectTimeout()).keepAlive(true).build())
                .timeoutOptions(TimeoutOptions.enabled(config.commandTimeout()))
                .build());
        return client;
    }

    /** host:port of the configured Redis, for messages: never the URI itself, which may carry a password. */
    public static String describeEndpoint(RedisSinkConfig config) {
        try {
            RedisURI uri = RedisURI.create(config.redisUri());
            return uri.getHost() + ":" + uri.getPort();
        } catch (IllegalArgumentException e) {
            return "(invalid " + RedisSinkConfig.REDIS_URI + ")";
        }
    }
}
