"""A support agent's first hour, in a real browser: the arbitration queue in the Temporal UI, a case found by its
title, its story read on its page (item, delivery, the merchant's claims, evidence opened by a signed link), a ruling
and a refusal in the update dialog; and the API's /docs, offline. No request may leave 127.0.0.1."""

import re
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import quote, urlsplit

import httpx
import pytest
import pytest_asyncio
from playwright.async_api import Browser, BrowserContext, Locator, Page, Route, async_playwright

from tests.api.evidence_helpers import png, upload
from tests.api.helpers import AGENT, act, case_body, open_case, push_order
from tests.browser.conftest import CHROMIUM, Desk
from tests.support.polling import eventually

pytestmark = [pytest.mark.e2e, pytest.mark.browser]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
ARBITRATION_QUEUE = "WorkflowType = 'CaseWorkflow' AND ExecutionStatus = 'Running' AND AwaitingParty = 'agent'"
COLUMNS = ("CaseTitle", "Priority", "DeadlineAt", "RulesApplied")


@pytest_asyncio.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield launched
        await launched.close()


@pytest_asyncio.fixture
async def local_only(browser: Browser) -> AsyncIterator[tuple[BrowserContext, list[str]]]:
    """A browser context whose every request to another host than 127.0.0.1 is blocked (and noted)."""
    context = await browser.new_context(viewport={"width": 1600, "height": 1000}, locale="zh-CN")
    blocked: list[str] = []

    async def local_or_blocked(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            blocked.append(route.request.url)
            await route.abort()

    await context.route("**/*", local_or_blocked)
    yield context, blocked
    await context.close()


async def arbitration_case(desk: Desk) -> tuple[str, str]:
    """An urgent refund the merchant escalated: it waits on an agent. Returns its workflow id and title."""
    async with httpx.AsyncClient(base_url=desk.api_url, timeout=30) as http:
        order = await push_order(http)
        case = await open_case(http, order, urgent=True, description="孩子的生日礼物,洗了一次就开线")
        escalated = await act(http, case["case_id"], order.merchant, action="escalate", reason="买家说法与事实不符")
        assert escalated.status_code == 200, escalated.text
        said = await act(http, case["case_id"], order.buyer, action="message", text="周六前需要,请尽快")
        assert said.status_code == 200, said.text
    return case["workflow_id"], "仅退款 ¥99.00 · 平台仲裁"


async def show_columns(page: Page) -> None:
    """What the README tells an agent to do once: Configure Columns → add the case's columns, drop Run ID."""
    await page.get_by_test_id("workflows-summary-table-configuration-button").click()
    for name in COLUMNS:
        await page.get_by_test_id(f"orderable-list-item-{name}-add-button").click()
    for name in ("Run ID", "Type", "Start", "End"):
        await page.get_by_label(f"Remove {name} column").click()
    await page.get_by_test_id("drawer-close-button").click()
    await page.get_by_test_id("drawer-close-button").wait_for(state="hidden")


async def rendered_text(page: Page, until: str) -> str:
    """The page's text with its frames' (the UI renders summary and details as Markdown in sandboxed frames)."""
    for _ in range(60):
        texts = [await frame.locator("body").inner_text() for frame in page.frames if not frame.is_detached()]
        if until in "".join(texts):
            return "\n".join(texts)
        await page.wait_for_timeout(500)
    raise AssertionError(f"{until!r} never appeared on {page.url}")


async def save_view(page: Page, name: str) -> None:
    """Saved Views → "Save as New": the queue is one click away from then on (kept in this browser)."""
    await page.get_by_test_id("create-view-button").click()
    dialog = page.get_by_role("dialog").filter(visible=True)
    await dialog.get_by_role("textbox").first.fill(name)
    await dialog.get_by_test_id("confirm-modal-button").click()
    await page.get_by_test_id("saved-views-button").filter(has_text=name).wait_for(timeout=10_000)


async def test_an_agent_finds_the_urgent_arbitration_case_by_its_title_and_reads_its_story(
    desk: Desk, local_only: tuple[BrowserContext, list[str]]
) -> None:
    context, blocked = local_only
    workflow_id, title = await arbitration_case(desk)
    page = await context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    await page.goto(f"{desk.ui_url}/namespaces/default/workflows?query={quote(ARBITRATION_QUEUE)}")
    await show_columns(page)
    row = page.get_by_role("row").filter(has_text=workflow_id)
    await row.get_by_text(title, exact=False).wait_for(timeout=30_000)
    assert "急 · " in await row.inner_text()
    await save_view(page, "Arbitration queue")  # the UI takes ASCII letters, digits, spaces, - _ . in names
    await page.screenshot(path=SCREENSHOTS / "ui-arbitration-queue.png", full_page=True)

    await row.get_by_role("link", name=workflow_id).click()
    await page.get_by_text("User Metadata", exact=True).click()
    text = await rendered_text(page, until="为何到仲裁")
    assert "仅退款 ¥99.00 · 质量问题" in text  # the summary: what was asked, on which order
    assert "周六前需要" in text and "一方申请平台介入" in text and "急 · 仅退款 ¥99.00 · 平台仲裁" in text
    await page.screenshot(path=SCREENSHOTS / "ui-case-page.png", full_page=True)
    assert [url for url in blocked if "/namespaces/" in url] == []


async def test_the_api_docs_load_offline_and_show_post_cases(
    desk: Desk, local_only: tuple[BrowserContext, list[str]]
) -> None:
    context, blocked = local_only
    page = await context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    await page.goto(f"{desk.api_url}/docs")
    operation = page.locator(".opblock-post").filter(has=page.locator('[data-path="/cases"]'))
    await operation.wait_for(timeout=30_000)
    assert (await operation.inner_text()).split()[:3] == ["POST", "/cases", "Open"]
    await page.screenshot(path=SCREENSHOTS / "api-docs.png", full_page=False)
    assert blocked == []  # nothing was even asked of another host


async def test_the_reconciliation_schedule_is_on_the_schedules_page(
    desk: Desk, local_only: tuple[BrowserContext, list[str]]
) -> None:
    context, _ = local_only
    page = await context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    await page.goto(f"{desk.ui_url}/namespaces/default/schedules")
    await page.get_by_text("case-reconcile").first.wait_for(timeout=30_000)
    await page.get_by_text("case-reconcile").first.click()
    await page.get_by_text("ReconcileWorkflow").first.wait_for(timeout=30_000)
    await page.get_by_role("button", name="Pause", exact=True).wait_for(timeout=30_000)  # it can be paused here
    await page.screenshot(path=SCREENSHOTS / "ui-reconcile-schedule.png", full_page=True)
    await page.screenshot(path=SCREENSHOTS / "ui-reconcile-schedule.png", full_page=True)


async def test_request_cancellation_in_the_ui_closes_the_case_cancelled_and_frees_the_order(
    desk: Desk, local_only: tuple[BrowserContext, list[str]]
) -> None:
    context, _ = local_only
    async with httpx.AsyncClient(base_url=desk.api_url, timeout=30) as http:
        order = await push_order(http)
        case = await open_case(http, order)
        page = await context.new_page()
        await page.goto(f"{desk.ui_url}/namespaces/default/workflows/{case['workflow_id']}")
        await page.get_by_role("button", name="Request Cancellation").click()
        await page.get_by_role("dialog").filter(visible=True).get_by_test_id("confirm-modal-button").click()

        async def read() -> dict[str, object]:
            body: dict[str, object] = (await http.get(f"/cases/{case['case_id']}", headers=order.buyer)).json()
            return body

        closed = await eventually(read, lambda c: c["status"] == "cancelled", within=30)
        assert (closed["awaiting"], closed["deadline"]) == (None, None)
        timeline = (await http.get(f"/cases/{case['case_id']}/timeline", headers=order.buyer)).json()["items"]
        assert timeline[-1]["type"] == "case_cancelled" and timeline[-1]["data"]["by"]  # the UI's identity
        reopened = await http.post("/cases", json=case_body(order), headers=order.buyer)
        assert reopened.status_code == 201, reopened.text

    await page.reload()
    await page.get_by_text("COMPLETED").first.wait_for(timeout=30_000)
    await page.get_by_text("User Metadata", exact=True).click()
    assert "状态 已取消" in await rendered_text(page, until="仅退款 ¥99.00 · 已取消")
    await page.screenshot(path=SCREENSHOTS / "ui-cancelled-case.png", full_page=True)


async def disputed_case(desk: Desk) -> tuple[dict[str, object], str]:
    """A delivered tee the buyer photographed, the merchant rejected saying it was worn with its tags off, and the
    buyer escalated: it waits on an agent. Returns the case and the photo's evidence id."""
    async with httpx.AsyncClient(base_url=desk.api_url, timeout=30) as http:
        order = await push_order(http)
        case = await open_case(http, order, description="洗了一次就开线")
        case_id = str(case["case_id"])
        photo = await upload(http, case_id, order.buyer, png(), note="开线处")
        assert photo.status_code == 201, photo.text
        rejected = await act(
            http,
            case_id,
            order.merchant,
            action="reject",
            reason="商品已穿过,吊牌已拆",
            claims=["worn", "tags_removed"],
        )
        assert rejected.status_code == 200, rejected.text
        escalated = await act(http, case_id, order.buyer, action="escalate", reason="质量问题,不是穿坏的")
        assert escalated.status_code == 200, escalated.text
    return case, str(photo.json()["evidence_id"])


async def send_update(page: Page, name: str, payload: str) -> Locator:
    """More Actions → Send an Update, the update picked from the list, its input typed; Tab leaves the JSON editor
    (while it has focus, the first click on Submit only takes the focus away), then Submit."""
    dialog = page.get_by_role("dialog").filter(visible=True)
    if not await dialog.count():
        await page.get_by_role("button", name="More Actions").click()
        await page.get_by_role("menuitem", name="Send an Update").click()
        await dialog.get_by_role("button", name="Select an Update").click()
        await page.get_by_role("option").filter(has_text=re.compile(rf"^\s*{name}\b")).click()
    data = dialog.get_by_role("textbox", name="Data")
    await data.click()
    await page.keyboard.press("Control+A")
    await page.keyboard.insert_text(payload)
    await page.keyboard.press("Tab")
    await dialog.get_by_role("button", name="Submit").click()
    return dialog


async def test_an_agent_rules_from_the_update_dialog_and_a_refusal_reads_as_one_sentence(
    desk: Desk, local_only: tuple[BrowserContext, list[str]]
) -> None:
    context, _ = local_only
    case, _ = await disputed_case(desk)
    page = await context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.goto(f"{desk.ui_url}/namespaces/default/workflows/{case['workflow_id']}")

    await page.get_by_role("button", name="More Actions").click()
    await page.get_by_role("menuitem", name="Send an Update").click()
    dialog = page.get_by_role("dialog").filter(visible=True)
    await dialog.get_by_role("button", name="Select an Update").click()
    await page.get_by_role("option").first.wait_for(timeout=30_000)
    texts = [" ".join((await option.text_content() or "").split()) for option in await page.get_by_role("option").all()]
    listed = {text.split()[0]: text for text in texts if text}
    for service in ("act", "add_evidence", "opened", "tracking"):
        assert "SERVICE ONLY — sent by the API" in listed[service]
    assert "return_refund" not in listed["decide"] and "agent_id" in listed["cancel"]
    await page.screenshot(path=SCREENSHOTS / "ui-update-list.png", full_page=False)
    await page.keyboard.press("Escape")

    refused = '{"agent_id": "agent-1", "outcome": "return_refund", "rationale": "退货退款"}'
    await send_update(page, "decide", refused)
    alert = dialog.get_by_role("alert").filter(has_text="cannot")
    await alert.wait_for(timeout=30_000)
    said = (await alert.inner_text()).strip()
    assert said == (
        "An agent cannot decide return_refund: the outcome is one of refund, partial_refund, coupon, reship, "
        "exchange, reject."
    )
    assert "Traceback" not in await dialog.inner_text() and 'File "' not in await dialog.inner_text()
    await page.screenshot(path=SCREENSHOTS / "ui-update-refused.png", full_page=False)

    await send_update(page, "decide", '{"agent_id": "agent-1", "outcome": "refund", "rationale": "开线属质量问题"}')
    await dialog.wait_for(state="hidden", timeout=30_000)
    async with httpx.AsyncClient(base_url=desk.api_url, timeout=30) as http:

        async def read() -> dict[str, object]:
            body: dict[str, object] = (await http.get(f"/cases/{case['case_id']}", headers=AGENT)).json()
            return body

        decided = await eventually(read, lambda c: c["status"] == "resolved", within=30)
    assert decided["decision"]["outcome"] == "refund"  # type: ignore[index]
    await page.get_by_text("User Metadata", exact=True).click()
    await rendered_text(page, until="已解决")
    await page.screenshot(path=SCREENSHOTS / "ui-case-decided.png", full_page=True)


async def test_the_story_tells_item_delivery_claims_and_an_agent_opens_the_photo_by_a_signed_link(
    desk: Desk, local_only: tuple[BrowserContext, list[str]]
) -> None:
    context, _ = local_only
    case, photo_id = await disputed_case(desk)
    page = await context.new_page()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.goto(f"{desk.ui_url}/namespaces/default/workflows/{case['workflow_id']}")
    await page.get_by_text("User Metadata", exact=True).click()

    text = await rendered_text(page, until="商家主张")
    assert "**" not in text and "quality_defect" not in text and "worn" not in text
    assert "商品" in text and "已签收" in text and "北京时间" in text
    assert "商品已被使用、吊牌已拆" in text and "照片 · 买家 · 开线处" in text and photo_id in text
    assert "/evidence/<证据编号>/link" in text
    await page.screenshot(path=SCREENSHOTS / "ui-case-story.png", full_page=True)

    async with httpx.AsyncClient(base_url=desk.api_url, timeout=30) as http:
        asked = await http.post(f"/agent/cases/{case['case_id']}/evidence/{photo_id}/link", headers=AGENT)
    assert asked.status_code == 200, asked.text
    shown = await page.goto(asked.json()["url"])  # no token: the link is the grant
    assert shown is not None and shown.status == 200 and shown.headers["content-type"] == "image/png"
    await page.screenshot(path=SCREENSHOTS / "ui-evidence-link.png", full_page=False)
