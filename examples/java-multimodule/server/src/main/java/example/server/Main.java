package example.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import example.greeting.Greeting;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** An HTTP server from the JDK: GET / answers the greeting library's text. */
public final class Main {
    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", Main::handle);
        // PID 1 in a container gets no default signal handlers: the JVM's
        // shutdown hook stops the server on SIGTERM.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
        server.start();
        System.out.println("listening on 0.0.0.0:" + port);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        boolean root = "/".equals(exchange.getRequestURI().getPath());
        byte[] body = (root ? Greeting.of(null) : "not found").concat("\n").getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        exchange.sendResponseHeaders(root ? 200 : 404, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }
}
