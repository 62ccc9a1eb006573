package org.carbonledger.receipts.signing;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A KMS-shaped HTTP server for tests: the AWS JSON 1.1 protocol of {@code GetPublicKey} and {@code Sign} for one
 * local EC P-256 key pair ({@code NONEwithECDSA} over the digest the client sends, DER-encoded like KMS).
 */
final class KmsStub implements AutoCloseable {

    static final String KEY_ID = "arn:aws:kms:eu-central-1:111111111111:key/0f3c1e52-receipts";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    final KeyPair keyPair;
    final List<JsonNode> signRequests = new CopyOnWriteArrayList<>();
    private final String keySpec;
    private final String keyUsage;
    private final HttpServer server;

    KmsStub(String keySpec, String keyUsage) throws Exception {
        this.keySpec = keySpec;
        this.keyUsage = keyUsage;
        KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
        generator.initialize(new ECGenParameterSpec("secp256r1"));
        this.keyPair = generator.generateKeyPair();
        this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (InputStream in = exchange.getRequestBody()) {
            JsonNode request = JSON.readTree(in.readAllBytes());
            String target = exchange.getRequestHeaders().getFirst("X-Amz-Target");
            if (!KEY_ID.equals(request.path("KeyId").asString())) {
                respond(exchange, 400, Map.of("__type", "NotFoundException", "message", "Key not found"));
                return;
            }
            switch (target == null ? "" : target) {
                case "TrentService.GetPublicKey" -> respond(exchange, 200, Map.of("KeyId", KEY_ID,
                        "PublicKey", Base64.getEncoder().encodeToString(keyPair.getPublic().getEncoded()),
                        "KeySpec", keySpec, "KeyUsage", keyUsage, "SigningAlgorithms", List.of("ECDSA_SHA_256")));
                case "TrentService.Sign" -> {
                    signRequests.add(request);
                    if (!"DIGEST".equals(request.path("MessageType").asString())
                            || !"ECDSA_SHA_256".equals(request.path("SigningAlgorithm").asString())) {
                        respond(exchange, 400, Map.of("__type", "ValidationException", "message", "unsupported"));
                        return;
                    }
                    byte[] digest = Base64.getDecoder().decode(request.path("Message").asString());
                    Signature ecdsa = Signature.getInstance("NONEwithECDSA");
                    ecdsa.initSign(keyPair.getPrivate());
                    ecdsa.update(digest);
                    respond(exchange, 200, Map.of("KeyId", KEY_ID, "SigningAlgorithm", "ECDSA_SHA_256",
                            "Signature", Base64.getEncoder().encodeToString(ecdsa.sign())));
                }
                default -> respond(exchange, 400, Map.of("__type", "UnknownOperationException"));
            }
        } catch (java.security.GeneralSecurityException e) {
            respond(exchange, 500, Map.of("__type", "KMSInternalException", "message", e.getMessage()));
        }
    }

    private static void respond(HttpExchange exchange, int status, Map<String, Object> body) throws IOException {
        byte[] bytes = JSON.writeValueAsString(body).getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/x-amz-json-1.1");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
