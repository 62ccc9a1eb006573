package org.carbonledger.shared.web;

import java.util.List;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.jackson.autoconfigure.JsonMapperBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.servlet.config.annotation.CorsRegistry;
import org.springframework.web.servlet.config.annotation.InterceptorRegistry;
import org.springframework.web.servlet.config.annotation.WebMvcConfigurer;
import tools.jackson.databind.module.SimpleModule;

/** Scope checks on every handler; CORS closed unless origins are configured; JSON text without NUL. */
@Configuration(proxyBeanMethods = false)
class ApiWebConfiguration implements WebMvcConfigurer {

    private final List<String> corsOrigins;

    ApiWebConfiguration(@Value("${carbonledger.api.cors-allowed-origins:}") List<String> corsOrigins) {
        this.corsOrigins = corsOrigins.stream().filter(o -> !o.isBlank()).toList();
    }

    /** JSON strings never carry NUL characters into the database. */
    @Bean
    JsonMapperBuilderCustomizer textWithoutNul() {
        return builder -> builder.addModule(new SimpleModule("text-without-nul")
                .addDeserializer(String.class, new TextWithoutNul()));
    }

    @Override
    public void addInterceptors(InterceptorRegistry registry) {
        registry.addInterceptor(new ScopeInterceptor());
    }

    @Override
    public void addCorsMappings(CorsRegistry registry) {
        if (!corsOrigins.isEmpty()) {
            registry.addMapping("/v1/**").allowedOrigins(corsOrigins.toArray(String[]::new))
                    .allowedMethods("GET", "POST", "DELETE")
                    .allowedHeaders("Authorization", "Content-Type", "Idempotency-Key")
                    .exposedHeaders("Retry-After", "Idempotent-Replayed");
        }
    }
}
