package io.redcompress.connect.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The shipped plugin's jars, loaded the way an application would load our decoder: for code that runs with the
 * connector deliberately kept off its own classpath (the plugin-path test, the quickstart).
 */
public final class PluginJars implements AutoCloseable {

    public static final String PLUGIN_NAME = "kafka-connect-redis-compressed";

    private final URLClassLoader loader;
    private final Method decode;

    private PluginJars(URLClassLoader loader) throws ReflectiveOperationException {
        this.loader = loader;
        this.decode = loader.loadClass("io.redcompress.connect.codec.ValueDecoder").getMethod("decode", byte[].class);
    }

    public static Path libDirectory(Path pluginPath) {
        return pluginPath.resolve(PLUGIN_NAME).resolve("lib");
    }

    public static PluginJars open(Path pluginPath) {
        try (Stream<Path> files = Files.list(libDirectory(pluginPath))) {
            List<URL> urls = files.filter(p -> p.toString().endsWith(".jar")).map(PluginJars::url).toList();
            return new PluginJars(new URLClassLoader(urls.toArray(URL[]::new), ClassLoader.getPlatformClassLoader()));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the plugin directory " + pluginPath + "; run the build first", e);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("the plugin in " + pluginPath + " has no ValueDecoder", e);
        }
    }

    private static URL url(Path path) {
        try {
            return path.toUri().toURL();
        } catch (MalformedURLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** {@code ValueDecoder.decode(stored)} from the plugin's own jar; decoding errors are rethrown as they are. */
    public byte[] decode(byte[] stored) {
        try {
            return (byte[]) decode.invoke(null, (Object) stored);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException runtime) {
                throw runtime;
            }
            throw new IllegalStateException(e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            loader.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
