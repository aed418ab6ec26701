package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// artifactsDir holds the browser test's screenshots (git-ignored), at
// the repository root.
const artifactsDir = "../../artifacts"

// stepTimeout is generous: under -race on a small shared machine one
// step can take several seconds.
const stepTimeout = 60 * time.Second

// chromium finds the browser. The test fails without one, never skips:
// .ci/run installs it.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome", "google-chrome-stable"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("the browser test needs Chromium: install the chromium package (scripts/test does)")
	return ""
}

// browserSession is one headless Chromium driving the app.
type act = chromedp.Action[chromedp.Void]

type browserSession struct {
	t    *testing.T
	ctx  context.Context
	base string
}

func newBrowser(t *testing.T, base string) *browserSession {
	t.Helper()
	// Chromium now and then fails to come up on a busy machine; a fresh
	// try with a fresh profile is what a person would do too.
	var errs []error
	for range 3 {
		b, err := startBrowser(t, base)
		if err == nil {
			return b
		}
		errs = append(errs, err)
		t.Logf("starting Chromium: %v", err)
	}
	t.Fatalf("starting Chromium failed three times: %v", errors.Join(errs...))
	return nil
}

func startBrowser(t *testing.T, base string) (*browserSession, error) {
	// The profile is removed on a best-effort basis: Chromium's helper
	// processes may still be closing files in it when the test ends, and
	// that is no failure of offboard's.
	profile, err := os.MkdirTemp("", "offboard-chromium-")
	if err != nil {
		return nil, err
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium(t)),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	stop := func() {
		cancelCtx()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	}
	// The first run starts the browser; it must not carry a timeout
	// (the browser lives as long as that call's context).
	if err := chromedp.Do(ctx); err != nil {
		stop()
		return nil, err
	}
	t.Cleanup(stop)
	return &browserSession{t: t, ctx: ctx, base: base}, nil
}

// step runs actions with the step timeout; on failure it saves a
// screenshot of the page for the report.
func (b *browserSession) step(name string, actions ...act) {
	b.t.Helper()
	b.stepIn(b.ctx, name, actions...)
}

func (b *browserSession) stepIn(tab context.Context, name string, actions ...act) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		shot := b.screenshotIn(tab, "failed-"+slug(name))
		sctx, scancel := context.WithTimeout(tab, 10*time.Second)
		url, _ := chromedp.Run(sctx, chromedp.Location())
		text, _ := chromedp.Run(sctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		scancel()
		b.t.Fatalf("%s: %v\n(page %s, screenshot %s)\n%.3000s", name, err, url, shot, text)
	}
}

func slug(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
			return r
		}
		return '-'
	}, strings.ToLower(s))
}

// screenshotIn saves a full-page PNG under artifacts/ and returns its path.
func (b *browserSession) screenshotIn(tab context.Context, name string) string {
	if err := os.MkdirAll(artifactsDir, 0o755); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	ctx, cancel := context.WithTimeout(tab, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	path := filepath.Join(artifactsDir, name+".png")
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
	return path
}

// actAs picks who the console acts as from the picker, as a person
// would (the picker submits its form; one navigation, so the next step
// cannot type into a page that is about to go away).
func (b *browserSession) actAs(email string) {
	b.t.Helper()
	b.step("act as "+email,
		chromedp.WaitVisible(chromedp.CSS(`#as`)),
		chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := chromedp.Evaluate[bool](fmt.Sprintf(`(() => { window.__before = 1; const s = document.querySelector('#as'); s.value = %q; s.form.submit(); return true; })()`, email))(ctx, t)
			return err
		}),
		waitJS(fmt.Sprintf(`!window.__before && document.readyState === 'complete' && document.querySelector('#as').value === %q && !document.querySelector('#composer-text').disabled`, email)),
	)
}

// say types into the composer and sends it with Enter.
func (b *browserSession) say(text string) {
	b.t.Helper()
	b.step("say "+text,
		chromedp.WaitEnabled(chromedp.CSS(`#composer-text`)),
		chromedp.SendKeys(chromedp.CSS(`#composer-text`), text+kb.Enter),
	)
}

// waitJS polls a JavaScript expression until it is true. Unlike
// chromedp.Poll it survives the page navigating while it waits (a form
// post and its redirect).
func waitJS(expr string) act {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		var last error
		for {
			ok, err := chromedp.Evaluate[bool](expr)(ctx, t)
			if err == nil && ok {
				return chromedp.Void{}, nil
			}
			if err != nil {
				last = err
			}
			select {
			case <-ctx.Done():
				return chromedp.Void{}, fmt.Errorf("waiting for %s: %w (last error: %v)", expr, ctx.Err(), last)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
}

// sectionJS finds a task section of a card by its heading.
func sectionJS(heading string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('.section')].find(s => (s.querySelector('h3')||{}).textContent === %q)`, heading)
}

// clickInSection clicks the button labelled label in the task section
// headed heading, accepting its "are you sure?".
func clickInSection(heading, label string) act {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		js := fmt.Sprintf(`(() => { window.confirm = () => true; const s = %s; if (!s) return false;
			const b = [...s.querySelectorAll('button')].find(b => b.textContent.trim() === %q); if (!b) return false; b.click(); return true; })()`,
			sectionJS(heading), label)
		ok, err := chromedp.Evaluate[bool](js)(ctx, t)
		if err != nil {
			return chromedp.Void{}, err
		}
		if !ok {
			return chromedp.Void{}, fmt.Errorf("no %q button in the section %q", label, heading)
		}
		return chromedp.Void{}, nil
	}
}

// The whole product in a browser, against the real serve wiring with the
// example config and the demo Okta: HR opens an involuntary case from the
// console's composer, the room appears and its Okta card turns done with
// evidence; Finance is kept out of that confidential room, is refused the
// Okta button of another case and marks its own task done, which another
// open tab sees without reloading; the dashboard shows the case and its
// time to revocation; the audit CSV downloads and its chain checks out.
func TestConsole_Browser(t *testing.T) {
	dir := t.TempDir()
	cfgPath := exampleConfig(t, dir)
	app := startApp(t, cfgPath, wireOptions{})
	b := newBrowser(t, app.url)

	b.step("open the console", chromedp.Navigate(app.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`.composer`)))
	b.actAs("hana.hr@example.com")
	b.screenshotIn(b.ctx, "console-lobby")
	// The form (a modal) shows its errors beside the fields.
	b.say("/offboard")
	b.step("the open-case form opens", waitJS(`!!document.querySelector('.modal [name="form_id"]')`))
	b.step("sending it empty shows the errors",
		chromedp.Click(chromedp.CSS(`.modal button.primary`)),
		waitJS(`document.querySelectorAll('.modal [aria-invalid="true"]').length >= 1 && document.querySelector('.modal').textContent.includes('Say who is leaving')`),
	)
	b.screenshotIn(b.ctx, "console-form-errors")
	// The manager field is a person picker: typing a name offers the
	// directory's people (the demo Okta's), name and email.
	b.step("typing a name in the manager field suggests the directory's people",
		waitJS(`(() => { const i = document.querySelector('.modal input[name="manager"][data-people]'); if (!i) return false;
			i.focus(); i.value = 'mona'; i.dispatchEvent(new Event('input', { bubbles: true })); return true; })()`),
		waitJS(`[...document.querySelectorAll('#people-manager option')].some(o => o.value === 'mona.manager@example.com' && o.label.includes('Mona Manager'))`),
	)
	b.step("cancel the form",
		chromedp.Click(chromedp.CSS(`.modal .cancel button`)),
		waitJS(`!document.querySelector('.modal') && document.readyState === 'complete'`),
	)
	b.say("/offboard jane.doe@example.com involuntary")
	b.step("the case room appears",
		waitJS(`location.pathname === '/console/rooms/OFF-0001' && !!document.querySelector('body[data-room="OFF-0001"] .card')`),
		waitJS(`document.querySelector('#rooms').textContent.includes('OFF-0001')`),
	)
	b.step("the Okta suspend card turns done with evidence",
		waitJS(fmt.Sprintf(`(() => { const s = %s; return !!s && s.querySelector('.badge').textContent.startsWith('Done') && s.textContent.includes('Status afterwards: SUSPENDED') && [...s.querySelectorAll('.evidence .detail')].some(d => d.textContent.startsWith('Okta request id: ')) && !s.textContent.includes('status_after'); })()`,
			sectionJS("Suspend the Okta account"))),
	)
	b.step("the header tells the time to revocation",
		waitJS(`document.querySelector('.card').textContent.includes('Access revoked')`))
	// A phone with one room open: nothing wider than the screen.
	b.phoneFits("the console with 1 room", app.url+"/console/rooms/OFF-0001", `.composer`)
	b.step("back to the desktop size", chromedp.EmulateViewport(1280, 900))
	evalIn[int](b, b.ctx, "scroll to the top of the room", `document.querySelector('#timeline').scrollTop = 0`)
	consoleShot := b.screenshotIn(b.ctx, "console-hr-room")
	b.tallShot("console-hr-room-whole")

	// HR asks about the confidential case in the lobby: the answer is
	// private, HR's own.
	b.step("back to the lobby", chromedp.Navigate(app.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`.composer`)))
	b.say("what's left on OFF-0001?")
	b.step("HR gets a private answer",
		waitJS(`[...document.querySelectorAll('.msg.private')].some(m => m.textContent.includes('OFF-0001'))`))

	// Finance may not see the confidential case, nor HR's private answer
	// about it, though this browser acted as HR a moment ago.
	b.actAs("fiona.finance@example.com")
	foreign := evalIn[int](b, b.ctx, "HR's private messages on Finance's page",
		`[...document.querySelectorAll('.msg.private')].filter(m => m.textContent.includes('OFF-0001')).length`)
	t.Logf("%d foreign private messages", foreign)
	if foreign != 0 {
		t.Fatalf("Finance sees %d of HR's private messages", foreign)
	}
	rooms := evalIn[string](b, b.ctx, "Finance's room list", `document.querySelector('#rooms').innerText`)
	if strings.Contains(rooms, "OFF-0001") {
		t.Fatalf("Finance sees the confidential room OFF-0001:\n%s", rooms)
	}
	b.step("Finance is not let into the confidential room",
		chromedp.Navigate(app.url+"/console/rooms/OFF-0001"),
		waitJS(`document.querySelector('#timeline').textContent.includes('You are not in this room')`))

	// A voluntary case Finance can see.
	lastDay := time.Now().UTC().AddDate(0, 0, 14).Format(time.DateOnly)
	b.actAs("hana.hr@example.com")
	b.say("/offboard alex.kim@example.com voluntary " + lastDay)
	b.step("the second room appears", waitJS(`location.pathname === '/console/rooms/OFF-0002'`))

	b.actAs("fiona.finance@example.com")
	// Enough in the room that it scrolls, for the scroll check below.
	b.step("Finance opens the room", chromedp.Navigate(app.url+"/console/rooms/OFF-0002"), chromedp.WaitVisible(chromedp.CSS(`.composer`)))
	for range 4 {
		n := evalIn[int](b, b.ctx, "messages in the room", `document.querySelectorAll('.msg').length`)
		b.say("what's left on OFF-0002?")
		b.step("the answer is in", waitJS(fmt.Sprintf(`document.querySelectorAll('.msg').length > %d`, n)))
	}
	b.step("the room scrolls", waitJS(`(() => { const tl = document.querySelector('#timeline'); return tl.scrollHeight > tl.clientHeight + 100; })()`))
	// Buttons fit the person: Finance sees IT's task and its status, not
	// its button; a click forged with Finance's own token is still refused
	// by the engine. The forged click is made at the top of the room (and
	// submitted as a click submits, so the console's script sees it): the
	// page that comes back stays there instead of jumping to the bottom.
	b.step("Finance sees the Okta suspend without its button",
		waitJS(`document.querySelector('#rooms').textContent.includes('OFF-0002')`),
		waitJS(`(() => { const s = `+sectionJS("Suspend the Okta account")+`; return !!s && !!s.querySelector('.badge') && s.querySelectorAll('button').length === 0; })()`),
		waitJS(`[...document.querySelectorAll('.card')].some(c => c.textContent.includes('Waiting for'))`),
	)
	b.step("Finance's forged click is refused",
		waitJS(`(document.querySelector('#timeline').scrollTop = 0) === 0`),
		waitJS(`(() => { const src = document.querySelector('form[action="/console/click"]'); if (!src) return false;
			const f = src.cloneNode(true); f.querySelector('input[name="value"]').value = 'start|OFF-0002|okta_suspend|';
			f.removeAttribute('data-confirm'); document.body.appendChild(f); f.requestSubmit(); return true; })()`),
		waitJS(`[...document.querySelectorAll('.msg.private')].some(m => m.textContent.includes('may not run'))`),
	)
	kept := evalIn[string](b, b.ctx, "where the room is scrolled after the click",
		`(() => { const tl = document.querySelector('#timeline'); return tl.scrollTop + ' of ' + (tl.scrollHeight - tl.clientHeight); })()`)
	if top, bottom, _ := strings.Cut(kept, " of "); top != "0" || bottom == "0" {
		t.Errorf("after a click the room is scrolled to %s px of %s; want it where the click was (0)", top, bottom)
	}
	suspendState := evalIn[string](b, b.ctx, "the refused task did not run", sectionJS("Suspend the Okta account")+`.querySelector('.badge').textContent`)
	if !strings.HasPrefix(suspendState, "Scheduled") {
		t.Fatalf("after Finance's refused click the Okta suspend is %q, want still scheduled", suspendState)
	}
	b.screenshotIn(b.ctx, "console-finance-refused")

	// A second tab marks the task done; this one updates live.
	evalIn[string](b, b.ctx, "mark this tab", `window.__stay = 'here'`)
	tab, cancelTab := chromedp.NewContext(b.ctx)
	defer cancelTab()
	if err := chromedp.Do(tab); err != nil {
		t.Fatalf("opening a second tab: %v", err)
	}
	b.stepIn(tab, "Finance marks its task done in another tab",
		chromedp.Navigate(app.url+"/console/rooms/OFF-0002"),
		waitJS(`!!(`+sectionJS("Settle the final expense report")+`)`),
		clickInSection("Settle the final expense report", "Mark done"),
		waitJS(fmt.Sprintf(`(() => { const s = %s; return !!s && s.querySelector('.badge').textContent.startsWith('Done by') && s.querySelector('.badge').textContent.includes('fiona.finance@example.com'); })()`,
			sectionJS("Settle the final expense report"))),
	)
	cancelTab()
	b.step("the first tab shows it without a reload",
		waitJS(fmt.Sprintf(`(() => { const s = %s; return window.__stay === 'here' && !!s && s.querySelector('.badge').textContent.startsWith('Done'); })()`,
			sectionJS("Settle the final expense report"))),
		waitJS(`document.querySelector('#timeline').textContent.includes('marked “Settle the final expense report” done')`),
	)
	financeShot := b.screenshotIn(b.ctx, "console-finance-room")

	// The dashboard: the case and its time to revocation.
	b.step("open the dashboard", chromedp.Navigate(app.url+"/"), chromedp.WaitVisible(chromedp.CSS(`table`)))
	row := evalIn[string](b, b.ctx, "the dashboard lists the case with its time to revocation",
		`[...document.querySelectorAll('tbody tr')].map(r => r.innerText).find(t => t.includes('OFF-0001')) || ''`)
	cells := strings.Split(row, "\t")
	if len(cells) < 7 || strings.TrimSpace(cells[6]) == "" || strings.Contains(cells[6], "not yet") {
		t.Fatalf("dashboard row of OFF-0001 lacks a time to revocation: %q", row)
	}
	dashShot := b.screenshotIn(b.ctx, "dashboard")

	// The audit CSV downloads, and its chain checks out.
	downloads := t.TempDir()
	done := make(chan string, 1)
	err := chromedp.ListenBrowser(b.ctx, func(ev any) {
		if e, ok := ev.(*browser.EventDownloadProgress); ok && e.State == browser.DownloadProgressStateCompleted {
			select {
			case done <- e.GUID:
			default:
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	b.step("verify the chain on the audit page",
		chromedp.Navigate(app.url+"/audit"),
		chromedp.Click(chromedp.CSS(`form[action="/audit/verify"] button`)),
		chromedp.WaitVisible(chromedp.CSS(`.result`)),
	)
	verified := evalIn[string](b, b.ctx, "read the verification", `document.querySelector('.result').innerText`)
	if !strings.Contains(verified, "OK") || !strings.Contains(verified, "intact") {
		t.Fatalf("chain verification on the audit page: %q", verified)
	}
	events := true
	if _, err := chromedp.CallBrowser(b.ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
		Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads, EventsEnabled: &events}); err != nil {
		t.Fatalf("allowing downloads: %v", err)
	}
	b.step("download the audit CSV", chromedp.Click(chromedp.CSS(`a[href^="/audit.csv"]`)))
	var guid string
	select {
	case guid = <-done:
	case <-time.After(stepTimeout):
		t.Fatal("the audit CSV download did not finish")
	}
	checkAuditCSV(t, filepath.Join(downloads, guid), verified)

	t.Logf("screenshots: %s %s %s", consoleShot, financeShot, dashShot)
	b.phoneShot(app.url + "/console/rooms/OFF-0002")

	// Six rooms: the room strip scrolls inside a phone's screen instead of
	// widening the page (it laid out 645 px wide on a 390 px phone), and
	// so does every dashboard page.
	b.step("back to the desktop size", chromedp.EmulateViewport(1280, 900))
	b.step("back to the console", chromedp.Navigate(app.url+"/console"), chromedp.WaitVisible(chromedp.CSS(`.composer`)))
	b.actAs("hana.hr@example.com")
	for i, who := range []string{"sam.rivera", "priya.patel", "lee.chen", "maria.garcia"} {
		b.say("/offboard " + who + "@example.com voluntary " + lastDay)
		b.step("room "+who+" appears", waitJS(fmt.Sprintf(`location.pathname === '/console/rooms/OFF-%04d' && document.readyState === 'complete' && !!document.querySelector('body[data-room="OFF-%04d"] .card')`, i+3, i+3)))
	}
	if n := evalIn[int](b, b.ctx, "count the rooms", `document.querySelectorAll('.roomlist:not(.closed) li').length`); n != 6 {
		t.Fatalf("HR sees %d rooms, want 6", n)
	}
	b.phoneFits("the console with 6 rooms", app.url+"/console/rooms/OFF-0006", `.composer`)
	switchVisible := evalIn[bool](b, b.ctx, "the Switch button is on the screen",
		`(() => { const r = document.querySelector('.actas button').getBoundingClientRect(); return r.right <= 390 && r.width > 0; })()`)
	if !switchVisible {
		t.Error("on a phone the Switch button is cut off")
	}
	for _, p := range []string{"/", "/?q=alex", "/cases/OFF-0001", "/cases/OFF-0002", "/analytics", "/audit", "/evidence"} {
		b.phoneFits("the dashboard "+p, app.url+p, `main`)
		b.phoneStacked("the dashboard " + p)
	}
	b.step("back to the desktop size", chromedp.EmulateViewport(1280, 900))

	// And the auditor's own check, on the stopped store.
	app.stop()
	if code, out, errOut := runCLI("audit", "verify", "--config", cfgPath); code != 0 || !strings.Contains(out, "audit chain OK") {
		t.Fatalf("audit verify: %d %q %q", code, out, errOut)
	}
}

// evalIn evaluates a JavaScript expression in a tab.
func evalIn[T any](b *browserSession, tab context.Context, name, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(tab, stepTimeout)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("%s: %v", name, err)
	}
	return v
}

// tallShot saves the page in a window tall enough to show the whole
// room, then returns to the usual size.
func (b *browserSession) tallShot(name string) {
	b.t.Helper()
	b.step("make the window tall", chromedp.EmulateViewport(1280, 3000))
	b.screenshotIn(b.ctx, name)
	b.step("back to the usual size", chromedp.EmulateViewport(1280, 900))
}

// phoneShot saves the console as a phone shows it.
func (b *browserSession) phoneShot(url string) {
	b.t.Helper()
	b.step("the console on a phone",
		chromedp.EmulateViewport(390, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(`.composer`)),
	)
	overflow := evalIn[bool](b, b.ctx, "no sideways scrolling on a phone", fmt.Sprintf(`document.documentElement.scrollWidth > %d`, phoneWidth))
	b.screenshotIn(b.ctx, "console-phone")
	if overflow {
		b.t.Error("the console scrolls sideways on a phone")
	}
}

// phoneWidth is the phone the layout checks use (CSS pixels).
const phoneWidth = 390

// phoneFits opens url as a 390×844 phone shows it and fails the test when
// the document is wider than the screen (it would scroll sideways). Under
// mobile emulation innerWidth grows with the content, so the width is
// compared with the phone's, not with innerWidth.
func (b *browserSession) phoneFits(name, url, ready string) {
	b.t.Helper()
	b.step(name+" on a phone",
		chromedp.EmulateViewport(phoneWidth, 844, chromedp.EmulateScale(2), chromedp.EmulateMobile),
		chromedp.Navigate(url),
		chromedp.WaitVisible(chromedp.CSS(ready)),
		waitJS(`document.readyState === 'complete'`),
	)
	width := evalIn[int](b, b.ctx, name+": the document's width", `document.documentElement.scrollWidth`)
	shot := b.viewportShot("phone-" + slug(name))
	if width > phoneWidth {
		wide := evalIn[string](b, b.ctx, name+": what is too wide",
			fmt.Sprintf(`[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > %d).slice(0, 5).map(e => e.tagName + '.' + e.className).join(', ')`, phoneWidth+1))
		b.t.Errorf("%s: the page is %d px wide on a %d px phone (%s; screenshot %s)", name, width, phoneWidth, wide, shot)
	}
}

// phoneStacked checks, on the page a phone shows, that every stacked
// table names each cell's column beside its value (a bare "0" or "2m"
// means nothing, and the name above the value made a row a screenful)
// and that its caption spans the table (it wrapped a word a line).
func (b *browserSession) phoneStacked(name string) {
	b.t.Helper()
	bad := evalIn[string](b, b.ctx, name+": stacked tables", `(() => {
		const bad = [];
		for (const t of document.querySelectorAll('table.stack')) {
			const c = t.querySelector('caption');
			if (c && c.getBoundingClientRect().width < t.getBoundingClientRect().width * 0.9) bad.push('caption "' + c.textContent.slice(0, 30) + '" is narrower than its table');
			for (const cell of t.querySelectorAll('tbody td, tbody th')) {
				const s = getComputedStyle(cell, '::before');
				if (s.content === 'none' || s.content === '""' || s.float !== 'left') { bad.push('cell "' + cell.textContent.trim().slice(0, 30) + '" shows no column name beside it'); break; }
			}
		}
		return bad.join('; ');
	})()`)
	if bad != "" {
		b.t.Errorf("%s on a phone: %s", name, bad)
	}
}

// viewportShot saves what the screen shows (a long page on a phone is
// too slow to capture whole) under artifacts/ and returns its path.
func (b *browserSession) viewportShot(name string) string {
	ctx, cancel := context.WithTimeout(b.ctx, 20*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err == nil {
		err = os.MkdirAll(artifactsDir, 0o755)
	}
	path := filepath.Join(artifactsDir, name+".png")
	if err == nil {
		err = os.WriteFile(path, png, 0o644)
	}
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return ""
	}
	return path
}

// checkAuditCSV reads the downloaded export: every row links to the one
// before (prev_hash = the previous hash), the last hash is the head the
// server verified, and the story of the test is in it.
func checkAuditCSV(t *testing.T, path, verified string) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("audit CSV: %v", err)
	}
	if len(rows) < 10 || rows[0][0] != "seq" {
		t.Fatalf("audit CSV has %d rows, header %v", len(rows), rows[0])
	}
	col := map[string]int{}
	for i, name := range rows[0] {
		col[name] = i
	}
	prev := ""
	var sawOpen, sawRefused, sawDone bool
	for i, r := range rows[1:] {
		if r[col["prev_hash"]] != prev {
			t.Fatalf("audit CSV row %d: prev_hash %q, want %q (the hash of the row before)", i+1, r[col["prev_hash"]], prev)
		}
		if len(r[col["hash"]]) != 64 {
			t.Fatalf("audit CSV row %d: hash %q", i+1, r[col["hash"]])
		}
		prev = r[col["hash"]]
		switch {
		case r[col["action"]] == "case.opened" && r[col["case_id"]] == "OFF-0001" && r[col["actor_email"]] == "hana.hr@example.com":
			sawOpen = true
		case r[col["outcome"]] == "refused" && r[col["actor_email"]] == "fiona.finance@example.com":
			sawRefused = true
		case r[col["target"]] == "final_expenses" && r[col["outcome"]] == "ok" && r[col["actor_email"]] == "fiona.finance@example.com":
			sawDone = true
		}
	}
	if !strings.Contains(verified, prev) {
		t.Errorf("the CSV's last hash %s is not the head the audit page verified (%q)", prev, verified)
	}
	if !sawOpen || !sawRefused || !sawDone {
		t.Errorf("audit CSV: opened by HR %v, Finance refused %v, Finance's task done %v; want all", sawOpen, sawRefused, sawDone)
	}
}

// exampleConfig is config.example.yaml as a newcomer runs it, with only
// the store and the port moved so tests can run side by side.
func exampleConfig(t *testing.T, dir string) string {
	t.Helper()
	cfg := readFile(t, "../../config.example.yaml")
	for old, repl := range map[string]string{
		`path: "offboard.db"`:                          fmt.Sprintf("path: %q", filepath.Join(dir, "offboard.db")),
		`listen: "${OFFBOARD_LISTEN:-127.0.0.1:8080}"`: `listen: "127.0.0.1:0"`,
	} {
		if !strings.Contains(cfg, old) {
			t.Fatalf("config.example.yaml no longer has %q; update the browser test", old)
		}
		cfg = strings.Replace(cfg, old, repl, 1)
	}
	path := filepath.Join(dir, "offboard.yaml")
	writeFile(t, path, cfg)
	return path
}
