package org.carbonledger.cli;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.text.DecimalFormat;
import java.text.DecimalFormatSymbols;
import java.time.Clock;
import java.time.Duration;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import org.carbonledger.CarbonLedgerApplication;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.Keys;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.ExpectedConditions;
import org.openqa.selenium.support.ui.WebDriverWait;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.util.FileSystemUtils;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The dashboard in headless Chromium (Debian's chromium and chromedriver): the platform started as the demo starts
 * it, on a fresh embedded data directory, with the demo's traffic sent through the public API; then a tenant signs
 * in, reads the charts, downloads and verifies a receipt and traces a request, and the operator reads the inventory.
 * Every page is photographed into target/screenshots/.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DashboardScenarioTest {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
    static final Path SCREENSHOTS = Path.of("target/screenshots");
    static final int DEMO_REQUESTS = 600;
    static final JsonMapper JSON = JsonMapper.builder().build();

    private final HttpClient http = HttpClient.newHttpClient();
    private Path work;
    private ConfigurableApplicationContext platform;
    private String base;
    private String operatorKey;
    private DemoTraffic.Result demo;
    private WebDriver browser;
    private WebDriverWait wait;
    private Path downloads;

    @BeforeAll
    void startPlatformAndBrowser() throws IOException {
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
                "the dashboard's browser tests need Debian's chromium and chromium-driver "
                        + "(apt-get install -y chromium chromium-driver; .ci/run installs them)");
        work = Files.createDirectories(Path.of("target", "dashboard-e2e", UUID.randomUUID().toString()));
        operatorKey = "dashboard-operator-" + UUID.randomUUID();
        platform = Launcher.start(CarbonLedgerApplication.class,
                "--carbonledger.data-dir=" + work.resolve("data").toAbsolutePath(),
                "--carbonledger.db.url=",
                "--carbonledger.signing.keystore=",
                "--carbonledger.admin-key=" + operatorKey,
                "--server.port=0",
                "--logging.level.root=WARN");
        base = "http://localhost:" + platform.getEnvironment().getProperty("local.server.port");
        demo = new DemoTraffic(base, operatorKey, new PrintStream(OutputStream.nullOutputStream()))
                .run(YearMonth.now(Clock.systemUTC()).minusMonths(1), DEMO_REQUESTS);

        downloads = Files.createDirectories(work.resolve("downloads").toAbsolutePath());
        Files.createDirectories(SCREENSHOTS);
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toString());
        options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run", "--window-size=1366,1300",
                "--user-data-dir=" + Files.createDirectories(work.resolve("chromium-profile")).toAbsolutePath());
        options.setExperimentalOption("prefs", Map.of("download.default_directory", downloads.toString(),
                "download.prompt_for_download", false));
        ChromeDriverService service = new ChromeDriverService.Builder()
                .usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort().build();
        browser = new ChromeDriver(service, options);
        wait = new WebDriverWait(browser, Duration.ofSeconds(30));
    }

    @AfterAll
    void stop() {
        if (browser != null) {
            browser.quit();
        }
        if (platform != null) {
            platform.close();
        }
        if (work != null) {
            FileSystemUtils.deleteRecursively(work.resolve("data").toFile());
        }
    }

    // --- tenant -------------------------------------------------------------------------------------------------

    @Test
    @Order(1)
    void signInRejectsAnUnknownKeyAndAcceptsTheTenantsKey() {
        browser.get(base + "/dashboard/");
        WebElement key = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        assertThat(browser.switchTo().activeElement()).as("the key field has the focus").isEqualTo(key);
        assertThat(browser.findElement(By.cssSelector("label[for=api-key]")).getText()).isEqualTo("API key");
        screenshot("01-sign-in");

        key.sendKeys("not-a-key-of-this-platform", Keys.ENTER);
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-in-error")));
        wait.until(d -> !error.getText().isBlank());
        assertThat(error.getText()).startsWith("This key is not accepted");

        String ingestOnly = JSON.readTree(send(demo.tenantKey(), "POST", "/v1/api-keys",
                "{\"scopes\": [\"ingest\"]}")).path("apiKey").asString();
        WebElement field = browser.findElement(By.id("api-key"));
        field.clear();
        field.sendKeys(ingestOnly, Keys.ENTER);
        wait.until(d -> error.getText().contains("'read' scope"));
        assertThat(script("return sessionStorage.getItem('carbonledger.apiKey')")).isNull();
        field.clear();

        signIn(demo.tenantKey());
        assertThat(browser.findElement(By.id("who-name")).getText()).isEqualTo("Tenant: Demo Inference Co");
        assertThat(script("return sessionStorage.getItem('carbonledger.apiKey')")).isEqualTo(demo.tenantKey());
    }

    @Test
    @Order(2)
    void theOverviewChartsShowTheDemoEmissions() {
        JsonNode rows = api(demo.tenantKey(), "/v1/emissions/summary").path("rows");
        assertThat(rows.size()).as("the demo month is in the default window").isPositive();
        Map<String, BigDecimal[]> perDay = new TreeMap<>();
        Map<String, BigDecimal> energyPerWorkload = new TreeMap<>();
        BigDecimal location = BigDecimal.ZERO;
        BigDecimal allocated = BigDecimal.ZERO;
        long requests = 0;
        for (JsonNode row : rows) {
            BigDecimal[] day = perDay.computeIfAbsent(row.path("periodStart").asString(),
                    d -> new BigDecimal[] {BigDecimal.ZERO, BigDecimal.ZERO});
            day[0] = day[0].add(row.path("co2eGramsLocationBased").decimalValue());
            day[1] = day[1].add(row.path("co2eGramsMarketBased").decimalValue());
            energyPerWorkload.merge(row.path("workloadName").asString(), row.path("energyJoules").decimalValue(),
                    BigDecimal::add);
            location = location.add(row.path("co2eGramsLocationBased").decimalValue());
            allocated = allocated.add(row.path("co2eGramsAllocated").decimalValue());
            requests += row.path("requestCount").asLong();
        }
        assertThat(requests).isEqualTo(DEMO_REQUESTS);

        browser.get(base + "/dashboard/#/overview");
        WebElement emissions = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("svg[data-chart=emissions]")));
        // one location- and one market-based bar per day of the demo month, each with the day's exact grams
        int days = YearMonth.now(Clock.systemUTC()).minusMonths(1).lengthOfMonth();
        assertThat(emissions.findElements(By.cssSelector("rect.bar.location[data-date]"))).hasSize(days);
        assertThat(emissions.findElements(By.cssSelector("rect.bar.market[data-date]"))).hasSize(days);
        perDay.forEach((day, grams) -> {
            assertThat(decimal(By.cssSelector("svg[data-chart=emissions] rect.location[data-date='" + day + "']")))
                    .as("location %s", day).isEqualByComparingTo(grams[0]);
            assertThat(decimal(By.cssSelector("svg[data-chart=emissions] rect.market[data-date='" + day + "']")))
                    .as("market %s", day).isEqualByComparingTo(grams[1]);
        });
        assertThat(new BigDecimal(card("location").getAttribute("data-value"))).isEqualByComparingTo(location);
        assertThat(card("location").findElement(By.className("card-value")).getText()).isEqualTo(mass(location));
        assertThat(card("requests").findElement(By.className("card-value")).getText()).isEqualTo("600");

        WebElement energy = browser.findElement(By.cssSelector("svg[data-chart=energy]"));
        List<String> labels = new ArrayList<>();
        for (WebElement row : energy.findElements(By.cssSelector("g.row"))) {
            labels.add(row.getAttribute("data-label"));
            assertThat(decimal(row, "rect")).isEqualByComparingTo(energyPerWorkload.get(row.getAttribute("data-label")));
        }
        assertThat(labels).containsExactlyInAnyOrder("chat-assistant", "summariser");
        assertThat(energy.getText()).contains("meta-llama/Meta-Llama-3.1-70B-Instruct",
                "meta-llama/Meta-Llama-3.1-8B-Instruct");

        // the demo's month is invoiced and paid: every gram is covered by retired credits
        WebElement coverage = browser.findElement(By.cssSelector("svg[data-chart=coverage]"));
        assertThat(allocated).isEqualByComparingTo(location);
        assertThat(decimal(coverage, "rect[data-part=retired]")).isEqualByComparingTo(allocated);
        assertThat(decimal(coverage, "rect[data-part=pending]")).isZero();
        assertThat(decimal(coverage, "rect[data-part=uncovered]")).isZero();
        assertThat(coverage.findElement(By.cssSelector("text[data-part=retired]")).getText())
                .isEqualTo("retired: " + mass(allocated) + " (100.0 %)");
        screenshot("02-overview");

        // keyboard: a page change puts the focus on its heading; the next stop is the first control of the page
        WebElement focused = browser.switchTo().activeElement();
        assertThat(focused.getText()).isEqualTo("Emissions overview");
        focused.sendKeys(Keys.TAB);
        assertThat(browser.switchTo().activeElement().getAttribute("id")).isEqualTo("window-from");
    }

    @Test
    @Order(3)
    void workloadsAndInvoices() {
        browser.get(base + "/dashboard/#/workloads");
        WebElement table = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("workloads-table")));
        assertThat(table.findElements(By.cssSelector("tbody tr"))).hasSize(2);
        assertThat(table.getText()).contains("chat-assistant", "4 × H100-80GB-HBM3", "summariser", "europe-west4");
        screenshot("03-workloads");

        JsonNode invoice = api(demo.tenantKey(), "/v1/invoices").path("items").get(0);
        browser.get(base + "/dashboard/#/invoices");
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("tr[data-invoice='" + invoice.path("number").asString() + "']")));
        DecimalFormat amount = new DecimalFormat("#,##0.00", DecimalFormatSymbols.getInstance(Locale.US));
        assertThat(row.getText()).contains("PAID", amount.format(invoice.path("totalAmount").decimalValue()) + " USD");
        row.findElement(By.tagName("summary")).click();
        assertThat(row.findElement(By.className("lines")).findElements(By.tagName("li"))).hasSize(2);
        screenshot("04-invoices");
    }

    @Test
    @Order(4)
    void aReceiptIsDownloadedAndVerified() throws Exception {
        JsonNode receipt = api(demo.tenantKey(), "/v1/receipts").path("items").get(0);
        String number = receipt.path("number").asString();
        browser.get(base + "/dashboard/#/receipts");
        WebElement row = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("tr[data-receipt='" + number + "']")));

        row.findElement(By.cssSelector("button.download")).click();
        Path file = downloads.resolve(number + ".pdf");
        wait.until(d -> Files.isRegularFile(file) && sizeOf(file) > 0);
        byte[] pdf = Files.readAllBytes(file);
        assertThat(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pdf)))
                .as("the downloaded file is the signed receipt").isEqualTo(receipt.path("pdfSha256").asString());

        row.findElement(By.cssSelector("button.verify")).click();
        WebElement status = row.findElement(By.cssSelector(".verification"));
        wait.until(d -> status.getAttribute("data-valid") != null);
        assertThat(status.getText()).startsWith("Valid: " + number + " signed by ");

        // the downloaded copy, handed back through the file picker
        browser.findElement(By.id("verify-file")).sendKeys(file.toAbsolutePath().toString());
        WebElement fileStatus = browser.findElement(By.id("verify-file-status"));
        wait.until(d -> fileStatus.getAttribute("data-valid") != null);
        assertThat(fileStatus.getText()).startsWith("Valid: " + number);

        // a copy with one byte changed is refused
        byte[] tampered = pdf.clone();
        tampered[tampered.length / 3] ^= 1;
        Path bad = Files.write(work.resolve("tampered.pdf").toAbsolutePath(), tampered);
        browser.findElement(By.id("verify-file")).sendKeys(bad.toString());
        wait.until(d -> "false".equals(fileStatus.getAttribute("data-valid")));
        assertThat(fileStatus.getText()).startsWith("Not valid: ");
        screenshot("05-receipts");
    }

    @Test
    @Order(5)
    void aRequestIsTracedToItsReceipt() {
        JsonNode trace = api(demo.tenantKey(), "/v1/trace/requests/" + demo.tracedRequestId());
        browser.get(base + "/dashboard/#/trace");
        WebElement input = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("trace-id")));
        input.sendKeys(demo.tracedRequestId(), Keys.ENTER);
        WebElement chain = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("svg[data-chart=trace]")));

        assertThat(node(chain, "request")).contains(demo.tracedRequestId());
        assertThat(node(chain, "emission")).contains("Emission record v1");
        assertThat(node(chain, "invoice")).contains(trace.path("invoiceLine").path("invoiceNumber").asString(),
                "PAID");
        JsonNode allocation = trace.path("allocations").get(0);
        assertThat(node(chain, "serials")).contains(allocation.path("registryRetirementId").asString(),
                allocation.path("serialRange").asString().split(" to ")[0]);
        assertThat(node(chain, "receipt")).contains(trace.path("receipt").path("number").asString());
        assertThat(chain.findElements(By.cssSelector("g.node.missing"))).as("every link is made").isEmpty();
        int allocations = trace.path("allocations").size();
        // request→record, record→line, line→allocation, allocation→serials, serials→receipt
        assertThat(chain.findElements(By.cssSelector("path.edge"))).hasSize(2 + 3 * allocations);
        screenshot("06-trace");

        input = browser.findElement(By.id("trace-id"));
        input.clear();
        input.sendKeys("no-such-request", Keys.ENTER);
        WebElement error = wait.until(ExpectedConditions.visibilityOfElementLocated(By.cssSelector(".error-box")));
        assertThat(error.getText()).contains("Nothing of yours has this id");
    }

    @Test
    @Order(6)
    void aTenantWithoutDataIsToldWhatToDo() {
        String key = JSON.readTree(send(operatorKey, "POST", "/v1/tenants",
                "{\"name\":\"Empty Co\"}")).path("apiKey").asString();
        signOut();
        signIn(key);
        WebElement empty = wait.until(ExpectedConditions.visibilityOfElementLocated(By.className("empty")));
        assertThat(empty.getText()).contains("No requests ended between", "POST /v1/telemetry/requests");
        screenshot("07-overview-empty");
        browser.get(base + "/dashboard/#/receipts");
        wait.until(ExpectedConditions.textToBePresentInElementLocated(By.className("empty"), "No receipts yet."));
    }

    // --- operator -----------------------------------------------------------------------------------------------

    @Test
    @Order(7)
    void theOperatorSeesTheInventoryAndEveryTenantsRetirements() {
        signOut();
        assertThat(script("return sessionStorage.getItem('carbonledger.apiKey')")).isNull();
        signIn(operatorKey);
        assertThat(browser.findElement(By.id("who-name")).getText()).isEqualTo("Operator");
        JsonNode lot = api(operatorKey, "/v1/offsets/lots").path("items").get(0);
        long retired = lot.path("retiredTonnes").asLong();
        assertThat(retired).isPositive();
        WebElement inventory = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("svg[data-chart=inventory]")));
        WebElement row = inventory.findElement(By.cssSelector("g.row[data-lot='PURO-DEMO-2024']"));
        assertThat(row.findElement(By.cssSelector("rect[data-part=retired]")).getAttribute("data-value"))
                .isEqualTo(String.valueOf(retired));
        assertThat(row.findElement(By.cssSelector("rect[data-part=available]")).getAttribute("data-value"))
                .isEqualTo(String.valueOf(1000 - retired));
        assertThat(row.getText()).contains(retired + " / 1,000 t retired");
        screenshot("08-operator-inventory");

        JsonNode retirements = api(operatorKey, "/v1/operator/retirements").path("items");
        String tenantId = retirements.get(0).path("tenantId").asString();
        browser.findElement(By.linkText("Retirements")).click();
        WebElement tenants = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("tenants-table")));
        WebElement tenantRow = tenants.findElement(By.cssSelector("tr[data-tenant='" + tenantId + "']"));
        assertThat(tenantRow.getText()).contains(String.valueOf(retired), "allocated ≤ retired");
        assertThat(browser.findElement(By.id("retirements-table")).getText())
                .contains(retirements.get(0).path("registryRetirementId").asString());
        screenshot("09-operator-retirements");
    }

    @Test
    @Order(8)
    void theOperatorSeesTheAuditAndRunsTheReconciliation() {
        JsonNode audit = api(operatorKey, "/v1/audit");
        assertThat(audit.path("ok").asBoolean()).as(audit.toString()).isTrue();
        browser.findElement(By.linkText("Audit")).click();
        WebElement verdict = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("p[data-audit]")));
        assertThat(verdict.getAttribute("data-audit")).isEqualTo("passed");
        assertThat(verdict.getText()).startsWith("Audit passed")
                .contains(String.format(java.util.Locale.US, "%,d", audit.path("checked").path("logLeaves").asLong()));
        browser.findElement(By.id("run-reconciliation")).click();
        WebElement outcome = wait.until(ExpectedConditions.visibilityOfElementLocated(
                By.cssSelector("#reconciliation p[data-reconciliation]")));
        assertThat(outcome.getAttribute("data-reconciliation")).as("no Stripe key in the demo").isEqualTo("offline");
        screenshot("10-operator-audit");
    }

    // --- helpers ------------------------------------------------------------------------------------------------

    private void signIn(String key) {
        WebElement field = wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
        field.clear();
        field.sendKeys(key, Keys.ENTER);
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("sign-out")));
        wait.until(d -> !d.findElements(By.cssSelector("#page h1")).isEmpty());
    }

    private void signOut() {
        browser.findElement(By.id("sign-out")).click();
        wait.until(ExpectedConditions.visibilityOfElementLocated(By.id("api-key")));
    }

    private WebElement card(String metric) {
        return browser.findElement(By.cssSelector("li.card[data-metric=" + metric + "]"));
    }

    /** The rendered text of a trace node. */
    private static String node(WebElement chain, String kind) {
        return chain.findElement(By.cssSelector("g.node[data-kind=" + kind + "]")).getText();
    }

    /** The data-value of an element, found afresh (the page may re-render the chart meanwhile). */
    private BigDecimal decimal(By locator) {
        return wait.ignoring(org.openqa.selenium.StaleElementReferenceException.class)
                .until(d -> new BigDecimal(d.findElement(locator).getAttribute("data-value")));
    }

    private static BigDecimal decimal(WebElement within, String css) {
        return new BigDecimal(within.findElement(By.cssSelector(css)).getAttribute("data-value"));
    }

    /** The dashboard's mass format: g, kg or t with three decimals, en-US grouping. */
    private static String mass(BigDecimal grams) {
        DecimalFormat format = new DecimalFormat("#,##0.000", DecimalFormatSymbols.getInstance(Locale.US));
        format.setRoundingMode(RoundingMode.HALF_UP);
        if (grams.abs().compareTo(BigDecimal.valueOf(1_000_000)) >= 0) {
            return format.format(grams.movePointLeft(6)) + " t";
        }
        if (grams.abs().compareTo(BigDecimal.valueOf(1_000)) >= 0) {
            return format.format(grams.movePointLeft(3)) + " kg";
        }
        return format.format(grams) + " g";
    }

    private Object script(String js) {
        return ((JavascriptExecutor) browser).executeScript(js);
    }

    private void screenshot(String name) {
        try {
            Files.write(SCREENSHOTS.resolve(name + ".png"),
                    ((org.openqa.selenium.TakesScreenshot) browser).getScreenshotAs(OutputType.BYTES));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static long sizeOf(Path file) {
        try {
            return Files.size(file);
        } catch (IOException e) {
            return 0;
        }
    }

    private JsonNode api(String key, String path) {
        return JSON.readTree(send(key, "GET", path, null));
    }

    private String send(String key, String method, String path, String json) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path))
                .header("Authorization", "Bearer " + key);
        if (json != null) {
            request.header("Content-Type", "application/json")
                    .method(method, HttpRequest.BodyPublishers.ofString(json));
        }
        try {
            HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
            assertThat(response.statusCode()).as("%s %s: %s", method, path, response.body()).isBetween(200, 201);
            return response.body();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
