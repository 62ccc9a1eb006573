package org.carbonledger.emissions.grid;

import java.time.Clock;
import java.time.Duration;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/** The Electricity Maps and WattTime clients, from {@code carbonledger.grid.*} properties (URLs, credentials, HTTP). */
@Configuration(proxyBeanMethods = false)
class GridSignalClients {

    @Bean
    ProviderHttp.Policy gridSignalHttpPolicy(
            @Value("${carbonledger.grid.http.max-attempts:3}") int maxAttempts,
            @Value("${carbonledger.grid.http.backoff:PT0.5S}") Duration backoff,
            @Value("${carbonledger.grid.http.max-backoff:PT10S}") Duration maxBackoff,
            @Value("${carbonledger.grid.http.timeout:PT10S}") Duration timeout,
            @Value("${carbonledger.grid.http.cache-ttl:PT15M}") Duration cacheTtl) {
        return new ProviderHttp.Policy(maxAttempts, backoff, maxBackoff, timeout, cacheTtl);
    }

    @Bean
    ElectricityMapsClient electricityMapsClient(ProviderHttp.Policy policy, Clock clock,
            @Value("${carbonledger.grid.electricity-maps.base-url:https://api.electricitymaps.com}") String baseUrl,
            @Value("${carbonledger.grid.electricity-maps.token:}") String token) {
        return new ElectricityMapsClient(new ProviderHttp(ElectricityMapsClient.PROVIDER, policy, clock), baseUrl,
                token);
    }

    @Bean
    WattTimeClient wattTimeClient(ProviderHttp.Policy policy, Clock clock,
            @Value("${carbonledger.grid.watttime.base-url:https://api.watttime.org}") String baseUrl,
            @Value("${carbonledger.grid.watttime.username:}") String username,
            @Value("${carbonledger.grid.watttime.password:}") String password) {
        return new WattTimeClient(new ProviderHttp(WattTimeClient.PROVIDER, policy, clock), baseUrl, username,
                password);
    }
}
