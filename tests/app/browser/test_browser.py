"""The dashboard in a real browser: every page loads without an error box (the Beer Game's too,
beside a single warehouse's run), the sidebar menu switches them and each has its own URL, a
manual order advances the day (and, with a lead time, is in transit and then on the shelf on the
right day), the Compare page shows its tables, and the Training page follows a stream written by
another process without a reload. The network pages: test_network_browser.py.

Also takes the README's screenshots of each page (into ``--screenshots DIR``, see conftest.py).
"""

import json
import re

from playwright.sync_api import Page, expect

from inventory_rl.app.dashboard import PAGES
from inventory_rl.app.game import ManualGame
from inventory_rl.app.scenario import played_config, run_scenario
from inventory_rl.policies.rules import make_baseline
from inventory_rl.runs.layout import RUN_CONFIG_NAME, read_run_config
from inventory_rl.runs.stream import StreamWriter

WAIT_MS = 30_000  # Replay's first load imports SB3 and plays three episodes
LIVE_WAIT_MS = 15_000  # the Training page refreshes itself every 2 s


def assert_no_error(page: Page) -> None:
    assert page.get_by_test_id("stException").count() == 0
    assert page.errors == []


def switch_mode(page: Page, mode: str) -> None:
    """Click the page's link in the sidebar menu (st.navigation's), then check the URL it opened."""
    page.get_by_test_id("stSidebarNav").get_by_text(mode, exact=True).click()
    url_path = PAGES[mode][1]
    expect(page).to_have_url(re.compile(r"/$" if mode == "Training" else rf"/{url_path}$"), timeout=WAIT_MS)


def episode_days(run_dir) -> int:
    return read_run_config(run_dir / RUN_CONFIG_NAME).env_config.episode_days


def wait_for_charts(page: Page, count: int) -> None:
    """Until ``count`` Vega-Lite charts have drawn their SVG."""
    expect(page.locator("[data-testid='stVegaLiteChart'] svg.marks")).to_have_count(count, timeout=WAIT_MS)


def settle(page: Page) -> None:
    """Until the page's script has finished its run (before a screenshot: no half-drawn page)."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning'][data-test-connection-state='CONNECTED']",
        timeout=WAIT_MS,
    )


def screenshot(page: Page, path) -> None:
    """A screenshot of the page once drawn."""
    settle(page)
    page.screenshot(path=path)


def metric_value(page: Page, label: str):
    card = page.get_by_test_id("stMetric").filter(has=page.get_by_text(label, exact=True))
    return card.get_by_test_id("stMetricValue")


def test_every_page_loads_and_the_menu_switches_them(open_dashboard, showcase, screenshot_dir):
    run_dir = showcase
    page = open_dashboard(run_dir)
    expect(page.get_by_text("Learning curves")).to_be_visible(timeout=WAIT_MS)
    episodes = sum('"type":"episode"' in line for line in (run_dir / "stream_data.json").open())
    expect(metric_value(page, "Episodes")).to_have_text(f"{episodes:,}")
    expect(metric_value(page, "Cost / day")).to_be_visible()  # the costs scenario counts money
    wait_for_charts(page, 8)  # five curves, two heatmaps, the totals
    assert_no_error(page)
    screenshot(page, screenshot_dir / "training.png")

    switch_mode(page, "Replay")
    expect(page.get_by_text("product by product")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_role("heading", name="Day 1, product by product")).to_be_visible()
    day_slider = page.get_by_test_id("stSlider").get_by_role("slider")
    day_slider.focus()
    for _ in range(14):
        day_slider.press("ArrowRight")
    expect(page.get_by_role("heading", name="Day 15, product by product")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Money of day 15")).to_be_visible()
    wait_for_charts(page, 4)
    assert_no_error(page)
    screenshot(page, screenshot_dir / "replay.png")

    switch_mode(page, "Manual")
    expect(page.get_by_text(f"Day 1 of {episode_days(run_dir)}")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)

    switch_mode(page, "Beer Game")  # a single warehouse's run: the rules play the other seats
    page.get_by_role("button", name="Start the game").click()
    expect(page.get_by_role("heading", name="Week 1 of 36")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)

    switch_mode(page, "Compare")
    expect(page.get_by_role("heading", name="Gaps to the optimum (lost-sales family)")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(3, timeout=WAIT_MS)  # overview, report, optimum
    wait_for_charts(page, 1)
    assert_no_error(page)
    screenshot(page, screenshot_dir / "compare.png")

    switch_mode(page, "Tuning")
    expect(page.get_by_text("Parameter importances")).to_be_visible(timeout=WAIT_MS)
    expect(metric_value(page, "Trials")).to_have_text("14")
    wait_for_charts(page, 3)
    assert_no_error(page)
    screenshot(page, screenshot_dir / "tuning.png")

    switch_mode(page, "Training")
    expect(page.get_by_text("Learning curves")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    assert {path.name for path in screenshot_dir.iterdir()} >= {"training.png", "replay.png", "compare.png"}


def place_order(page: Page, next_day: int, days: int) -> None:
    page.get_by_role("button", name="Place order").click()
    expect(page.get_by_text(f"Day {next_day} of {days}")).to_be_visible(timeout=WAIT_MS)


def test_a_page_opens_directly_at_its_url(open_dashboard, run_dir):
    page = open_dashboard(run_dir, "replay")
    expect(page.get_by_role("heading", name="Day 1, product by product")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Page not found")).to_have_count(0)
    assert_no_error(page)
    for url_path, text in (("compare", "No evaluation report"), ("tuning", "No tuning study")):
        page.goto(page.url.rsplit("/", 1)[0] + f"/{url_path}")
        expect(page.get_by_text(text)).to_be_visible(timeout=WAIT_MS)
        assert_no_error(page)


def order(page: Page, product: int, units: int) -> None:
    """Type ``units`` into a product's number input (Enter reruns the page)."""
    page.get_by_label(f"Product {product}").fill(str(units))
    page.get_by_label(f"Product {product}").press("Enter")


def test_a_manual_order_with_a_lead_time_is_in_transit_then_on_the_shelf(open_dashboard, lead_time_run):
    # lead_time 3: an order placed on day d is on the shelf before the demand of day d + 2.
    page = open_dashboard(lead_time_run, "manual")
    days = episode_days(lead_time_run)
    expect(page.get_by_text(f"Day 1 of {days}")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("before the demand of day 3")).to_be_visible()
    order(page, 0, 7)
    expect(page.get_by_text("Your order: 7 units")).to_be_visible(timeout=WAIT_MS)
    place_order(page, 2, days)
    expect(page.get_by_text("coming: 7 on day 3")).to_be_visible(timeout=WAIT_MS)  # in transit, the next day
    expect(page.get_by_text("7 units on day 3")).to_be_visible()
    order(page, 0, 0)
    expect(page.get_by_text("Your order: 0 units")).to_be_visible(timeout=WAIT_MS)
    place_order(page, 3, days)
    expect(page.get_by_text("Day 2: you received 0 units")).to_be_visible()
    expect(page.get_by_text("coming: 7 on day 3")).to_be_visible()  # arriving today, before the demand
    place_order(page, 4, days)
    expect(page.get_by_text("Day 3: you received 7 units")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("coming: 7")).to_have_count(0)
    assert_no_error(page)


def test_a_manual_order_advances_the_day(open_dashboard, lead_time_run, screenshot_dir):
    run_dir = lead_time_run
    page = open_dashboard(run_dir, "manual")  # straight to the page's URL
    days = episode_days(run_dir)
    # The person's side of the page's game (seed 0), played alongside: what each new day must show.
    config = played_config(run_scenario(read_run_config(run_dir / RUN_CONFIG_NAME)))
    game = ManualGame(make_baseline("newsvendor", config), "newsvendor rule", config, 0)
    expect(page.get_by_text(f"Day 1 of {days}")).to_be_visible(timeout=WAIT_MS)
    order(page, 0, 3)
    expect(page.get_by_text("Your order: 3 units")).to_be_visible(timeout=WAIT_MS)
    place_order(page, 2, days)
    game.place_order([3] + [0] * (config.n_products - 1))
    wait_for_charts(page, 3)  # the charts of the days played appear after the first one

    for day in range(3, 6):  # a few sensible days, then one too large
        status = page.get_by_text("Your warehouse holds")
        # The heading of the new day may be drawn before its status line: wait for the new day's.
        expect(status).to_contain_text(f"free space {game.free_space()}", timeout=WAIT_MS)
        free_space = int(re.search(r"free space (\d+)", status.inner_text()).group(1))
        assert free_space == game.free_space()
        page.get_by_role("button", name="Suggest").click()
        expect(page.get_by_text(f"Your order: {free_space} units")).to_be_visible(timeout=WAIT_MS)
        # the inputs too: a click on Place order before they show the suggestion would send their old values
        suggested = game.suggested_order()
        for product, units in enumerate(suggested):
            expect(page.get_by_label(f"Product {product}")).to_have_value(str(units), timeout=WAIT_MS)
        place_order(page, day, days)
        game.place_order(suggested)
    order(page, 0, 1000)  # more than the free space of the 300-unit warehouse
    expect(page.get_by_text("would be refused at the door")).to_be_visible(timeout=WAIT_MS)
    place_order(page, 6, days)
    expect(page.get_by_text("were refused at the door")).to_be_visible()
    wait_for_charts(page, 3)
    assert_no_error(page)
    screenshot(page, screenshot_dir / "manual.png")
    assert (screenshot_dir / "manual.png").stat().st_size > 0


def test_training_page_follows_records_appended_by_another_process(open_dashboard, run_dir, tmp_path):
    header, *records, _ = (run_dir / "stream_data.json").read_text().splitlines(keepends=True)
    page = open_dashboard(tmp_path)
    expect(page.get_by_text("python train.py --preset quick")).to_be_visible(timeout=WAIT_MS)

    stream = tmp_path / "stream_data.json"
    stream.write_text(header + "".join(records[:5]))
    expect(metric_value(page, "Episodes")).to_have_text("5", timeout=LIVE_WAIT_MS)
    with stream.open("a") as file:
        file.writelines(records[5:12])
    expect(metric_value(page, "Episodes")).to_have_text("12", timeout=LIVE_WAIT_MS)
    assert_no_error(page)

    # A new run replaces the stream: the page starts over with it.
    writer = StreamWriter(stream, {**json.loads(header), "run_id": "the-next-run"})
    for record in records[:3]:
        writer.write({**json.loads(record), "run_id": "the-next-run"})
    writer.close()
    expect(metric_value(page, "Episodes")).to_have_text("3", timeout=LIVE_WAIT_MS)
    expect(page.get_by_text("the-next-run")).to_be_visible()
    assert_no_error(page)
