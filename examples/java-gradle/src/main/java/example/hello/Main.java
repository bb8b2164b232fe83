package example.hello;

import com.google.gson.Gson;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** An HTTP server from the JDK alone: GET / answers a JSON greeting. */
public final class Main {
    private static final Logger log = LoggerFactory.getLogger(Main.class);
    private static final Gson gson = new Gson();

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(System.getenv().getOrDefault("PORT", "8080"));
        HttpServer server = HttpServer.create(new InetSocketAddress(port), 0);
        server.createContext("/", Main::handle);
        // PID 1 in a container gets no default signal handlers: the JVM's
        // shutdown hook stops the server on SIGTERM.
        Runtime.getRuntime().addShutdownHook(new Thread(() -> server.stop(0)));
        server.start();
        log.info("listening on 0.0.0.0:{}", port);
    }

    private static void handle(HttpExchange exchange) throws IOException {
        if (!"/".equals(exchange.getRequestURI().getPath())) {
            send(exchange, 404, Map.of("error", "not found"));
            return;
        }
        Map<String, String> body = new LinkedHashMap<>();
        body.put("greeting", "hello from gradle");
        body.put("java", System.getProperty("java.version"));
        send(exchange, 200, body);
    }

    private static void send(HttpExchange exchange, int status, Object body) throws IOException {
        byte[] bytes = gson.toJson(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(bytes);
        }
        log.info("{} {} {}", exchange.getRequestMethod(), exchange.getRequestURI(), status);
    }
}
