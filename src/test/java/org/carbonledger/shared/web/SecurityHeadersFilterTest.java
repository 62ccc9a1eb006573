package org.carbonledger.shared.web;

import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

import static org.assertj.core.api.Assertions.assertThat;

class SecurityHeadersFilterTest {

    private MockHttpServletResponse filter(MockHttpServletRequest request) throws Exception {
        var response = new MockHttpServletResponse();
        new SecurityHeadersFilter().doFilter(request, response, new MockFilterChain());
        return response;
    }

    @Test
    void hstsOnlyOverTls() throws Exception {
        var tls = new MockHttpServletRequest("GET", "/v1/tenants/me");
        tls.setSecure(true);
        assertThat(filter(tls).getHeader("Strict-Transport-Security")).isEqualTo("max-age=31536000; includeSubDomains");
        assertThat(filter(new MockHttpServletRequest("GET", "/v1/tenants/me")).getHeader("Strict-Transport-Security"))
                .isNull();
    }

    @Test
    void swaggerUiGetsItsOwnPolicyAndMayBeCached() throws Exception {
        var ui = filter(new MockHttpServletRequest("GET", "/swagger-ui/index.html"));
        assertThat(ui.getHeader("Content-Security-Policy")).isEqualTo(SecurityHeadersFilter.UI_CSP);
        assertThat(ui.getHeader("Cache-Control")).isNull();
        assertThat(ui.getHeader("X-Frame-Options")).isEqualTo("DENY");
    }
}
