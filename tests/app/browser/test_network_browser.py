"""The network pages and the Beer Game in a real browser: every page of a network run loads without an
error box and draws its diagram, the Replay page's day slider walks the episode, the Training page
follows a network run's stream written by the test, and a full beer game is played through the page
(with a reload in the middle, and a second tab playing its own game).

Also takes the docs' screenshots of the network pages (into ``--screenshots DIR``, see conftest.py).
"""

import json
import re
import shutil

import pytest
from playwright.sync_api import Page, expect

from inventory_rl.agent.network_agent import load_network_agent
from inventory_rl.evaluation.network_report import evaluate_network
from inventory_rl.runs.layout import MODEL_NAME, STREAM_NAME
from inventory_rl.world.network import load_network
from tests.app.browser.test_browser import (
    WAIT_MS,
    assert_no_error,
    metric_value,
    screenshot,
    switch_mode,
    wait_for_charts,
)

LIVE_WAIT_MS = 15_000
WEEKS = 36


@pytest.fixture(scope="module")
def network_showcase(network_runs, tmp_path_factory):
    """A copy of the per-node beer-game-classic run, with network reports beside it (a few episodes): its
    agents beside the rules (``evaluate.py --model``), and the stationary beer game's rules."""
    log_dir = tmp_path_factory.mktemp("network-showcase") / "logs"
    shutil.copytree(network_runs["per-node"], log_dir)
    agents = {"ppo": load_network_agent(log_dir / MODEL_NAME)}
    for name, played in (("beer-game-classic", agents), ("beer-game", None)):
        network = load_network(name).network
        report, _ = evaluate_network(network, episodes=4, source=f"network {name}", agents=played)
        (log_dir / f"evaluation_{name}.json").write_text(json.dumps(report))
    return log_dir


def diagrams(page: Page):
    """The drawn Graphviz diagrams (their SVG)."""
    return page.locator("[data-testid='stGraphVizChart'] svg")


def test_every_network_page_loads_and_draws_its_diagram(open_dashboard, network_showcase, screenshot_dir):
    page = open_dashboard(network_showcase)
    expect(page.get_by_text("Cost per day, node by node")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("Network: beer-game-classic", exact=False).first).to_be_visible()
    expect(diagrams(page)).to_have_count(1, timeout=WAIT_MS)
    expect(metric_value(page, "Cost / day")).to_be_visible()
    assert_no_error(page)
    screenshot(page, screenshot_dir / "network-training.png")

    switch_mode(page, "Replay")
    expect(page.get_by_text("Day 1, PPO agents")).to_be_visible(timeout=WAIT_MS)
    expect(diagrams(page)).to_have_count(1, timeout=WAIT_MS)
    expect(diagrams(page).get_by_text("retailer")).to_be_visible()
    day_slider = page.get_by_test_id("stSlider").get_by_role("slider")
    day_slider.focus()
    for _ in range(9):
        day_slider.press("ArrowRight")
    expect(page.get_by_text("Day 10, PPO agents")).to_be_visible(timeout=WAIT_MS)
    wait_for_charts(page, 12)  # the costs so far, six node charts, five bullwhip rows
    assert_no_error(page)
    screenshot(page, screenshot_dir / "network-replay.png")

    switch_mode(page, "Manual")
    expect(page.get_by_text("play one of its seats against them on the Beer Game page")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)

    page.get_by_test_id("stSidebarNav").get_by_text("Beer Game", exact=True).click()
    expect(page).to_have_url(re.compile(r"/beer-game$"), timeout=WAIT_MS)
    expect(page.get_by_role("button", name="Start the game")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)

    switch_mode(page, "Compare")
    expect(page.get_by_role("heading", name="Networks")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_test_id("stDataFrame")).to_have_count(3, timeout=WAIT_MS)  # overview, network, nodes
    wait_for_charts(page, 1)
    assert_no_error(page)

    switch_mode(page, "Tuning")
    expect(page.get_by_text("No tuning study")).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)


def place(page: Page, units: str, week: int) -> None:
    """Type the order for ``week`` and press Enter (the form places it). The box is found by its label:
    while the page reruns, last week's box may still stand beside this week's."""
    box = page.get_by_role("textbox", name=f"Your order for week {week} (units)")
    box.fill(units)
    box.press("Enter")


def test_a_full_beer_game_is_played_in_the_browser(open_dashboard, network_showcase, screenshot_dir):
    page = open_dashboard(network_showcase, "beer-game")
    page.get_by_role("button", name="Start the game").click()
    expect(page.get_by_role("heading", name="Week 1 of 36")).to_be_visible(timeout=WAIT_MS)
    expect(page).to_have_url(re.compile(r"/beer-game\?game=[0-9a-f]{12}$"))
    game_url = page.url
    place(page, "-2", 1)
    expect(page.get_by_text("an order cannot be negative")).to_be_visible(timeout=WAIT_MS)
    for week in range(1, WEEKS + 1):
        place(page, str(4 + week % 4), week)
        if week < WEEKS:
            expect(page.get_by_role("heading", name=f"Week {week + 1} of 36")).to_be_visible(timeout=WAIT_MS)
        if week == 12:  # a reload in the middle of the game resumes it
            page.reload()
            expect(page.get_by_role("heading", name="Week 13 of 36")).to_be_visible(timeout=WAIT_MS)
            assert page.url == game_url
            screenshot(page, screenshot_dir / "beer-game.png")
    expect(page.get_by_role("heading", name="Your score")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("No exact optimum for this network")).to_be_visible()
    expect(page.get_by_text("you (wholesaler): orders, variance")).to_be_visible()
    expect(page.get_by_text("The agent in your seat")).to_be_attached()  # a cell of the score (a canvas grid)
    place(page, "4", WEEKS)
    expect(page.get_by_text("it takes no more orders").first).to_be_visible(timeout=WAIT_MS)
    assert_no_error(page)
    screenshot(page, screenshot_dir / "beer-game-end.png")
    saved = json.loads(next((network_showcase / "beer_games").glob("*.json")).read_text())
    assert saved["orders"] == [4 + week % 4 for week in range(1, WEEKS + 1)]


def test_two_tabs_play_two_games(open_dashboard, browser, network_showcase):
    first = open_dashboard(network_showcase, "beer-game")
    second = browser.new_page(viewport={"width": 1280, "height": 1600})  # another tab, the same server
    second.goto(first.url)
    for page, units in ((first, "3"), (second, "9")):
        page.get_by_role("button", name="Start the game").click()
        expect(page.get_by_role("heading", name="Week 1 of 36")).to_be_visible(timeout=WAIT_MS)
        place(page, units, 1)
        expect(page.get_by_role("heading", name="Week 2 of 36")).to_be_visible(timeout=WAIT_MS)
    assert first.url != second.url
    place(first, "3", 2)
    expect(first.get_by_role("heading", name="Week 3 of 36")).to_be_visible(timeout=WAIT_MS)
    expect(second.get_by_role("heading", name="Week 2 of 36")).to_be_visible()  # the other game stays
    second.close()
    assert_no_error(first)


def test_training_page_follows_a_network_run_live(open_dashboard, network_runs, tmp_path):
    header, *records, _ = (network_runs["central"] / STREAM_NAME).read_text().splitlines(keepends=True)
    page = open_dashboard(tmp_path)
    expect(page.get_by_text("python train.py --preset quick")).to_be_visible(timeout=WAIT_MS)
    stream = tmp_path / STREAM_NAME
    stream.write_text(header + "".join(records[:4]))
    expect(metric_value(page, "Episodes")).to_have_text("4", timeout=LIVE_WAIT_MS)
    expect(page.get_by_text("Cost per day, node by node")).to_be_visible()
    with stream.open("a") as file:
        file.writelines(records[4:11])
    expect(metric_value(page, "Episodes")).to_have_text("11", timeout=LIVE_WAIT_MS)
    expect(diagrams(page)).to_have_count(1, timeout=WAIT_MS)
    assert_no_error(page)
