"""`sayso serve`: the web app. Pages for people, a JSON API beside them.

`create_app(db=...)` builds the FastAPI application; the analysis runs the same
core as `sayso analyze`, and the corpus pages read the store of `sayso run`,
opened read-only.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from importlib.resources import files
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import FastAPI, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.formparsers import MultiPartException

from sayso import __version__
from sayso.errors import InputError, SaysoError
from sayso.record import STANCES, Article
from sayso.settings import Settings
from sayso.web import render
from sayso.web.corpus import Corpus, Found, add_link_routes
from sayso.web.headers import HeadersMiddleware
from sayso.web.inputs import Submitted, from_json, from_text, from_upload
from sayso.web.limits import DEFAULT_MAX_BODY, BodyLimitMiddleware, human_size
from sayso.web.pool import DEFAULT_QUEUE, DEFAULT_TIMEOUT, AnalysisPool, InProcess, Job, Want

WEB_DIR = Path(str(files("sayso.web")))
PAGE_SIZE = 20
SEARCH_FIELDS = ("any", "source", "content")

MAX_PAGE = 10_000_000  # past these a page number or offset is refused (422), never handed to DuckDB
MAX_OFFSET = 1_000_000_000
NO_CORPUS = "no corpus is open: start the server with `sayso serve --db FILE`"


def _templates() -> Jinja2Templates:
    """The web app's templates, then sayso's shared ones (the legend and the marked text, sayso/templates)."""
    from sayso.display import TEMPLATE_DIR

    env = Environment(loader=FileSystemLoader([str(WEB_DIR / "templates"), str(TEMPLATE_DIR)]),
                      autoescape=select_autoescape(default=True, default_for_string=True))
    env.filters["q"] = lambda s: quote(str(s), safe="")
    return Jinja2Templates(env=env)


def create_app(db: str | None = None, *, max_body: int = DEFAULT_MAX_BODY, settings: Settings = Settings(),
               page_size: int = PAGE_SIZE, hosts: frozenset[str] | None = None, workers: int = 0,
               queue: int = DEFAULT_QUEUE, timeout: float = DEFAULT_TIMEOUT) -> FastAPI:
    """The web app; `db` is a store written by `sayso run`, opened read-only; lists show `page_size` rows a
    page; with `hosts`, requests naming any other Host are refused (`sayso serve` passes its own). With
    `workers`, analyses run in that many worker processes (at most `queue` more waiting, each at most
    `timeout` seconds), started and ended with the app; without, in this process one at a time."""
    corpus = Corpus(db) if db is not None else None
    analyses = AnalysisPool(settings, workers, queue, timeout) if workers else InProcess(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        analyses.start()
        try:
            yield
        finally:
            analyses.close()

    app = FastAPI(title="sayso", version=__version__,
                  description="Who says so? Attributions, sources and sourcing profiles of news articles. "
                              "Every article comes back as a `sayso.article/1` record.",
                  docs_url=None, redoc_url=None, openapi_url="/api/openapi.json", lifespan=lifespan)
    app.state.corpus = corpus
    app.state.analyses = analyses
    app.state.max_body = max_body
    app.add_middleware(BodyLimitMiddleware, max_body=max_body)
    app.add_middleware(HeadersMiddleware, hosts=hosts)  # added last: outermost, so every answer has them
    # Swagger UI's own files (from fastapi-offline), mounted first: /static would shadow them
    app.mount("/static/apidocs", StaticFiles(directory=str(files("fastapi_offline") / "static")), name="apidocs")
    app.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
    templates = _templates()

    @app.get("/api/docs", include_in_schema=False)
    def api_docs() -> HTMLResponse:
        """Swagger UI for the OpenAPI document, every asset served from here."""
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/api/openapi.json", title="sayso API",
                                   swagger_js_url="/static/apidocs/swagger-ui-bundle.js",
                                   swagger_css_url="/static/apidocs/swagger-ui.css",
                                   swagger_favicon_url="/static/favicon.svg",
                                   # no badge fetched from the online validator
                                   swagger_ui_parameters={"validatorUrl": None})

    def page(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("corpus", corpus)
        context.setdefault("max_body", human_size(max_body))
        return templates.TemplateResponse(request, template, context, status_code=status)

    def paged(fetch: Callable[[int], tuple[list[Any], int]], page_no: int) -> tuple[list[Any], int, int]:
        """A page of rows, the total, and the page shown: past the last page, the last one."""
        rows, total = fetch((page_no - 1) * page_size)
        last = max(1, -(-total // page_size))
        if page_no > last:
            page_no = last
            rows, total = fetch((page_no - 1) * page_size)
        return rows, total, page_no

    def need_corpus() -> Corpus:
        if corpus is None:
            raise HTTPException(404, NO_CORPUS)
        return corpus

    add_link_routes(app, need_corpus, page)  # entity and trail pages (sayso.web.corpus)

    # --- errors: JSON under /api, a page elsewhere -------------------------------------

    @app.exception_handler(StarletteHTTPException)  # Starlette's: unknown paths and methods too
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
        return page(request, "error.html", status=exc.status_code, message=str(exc.detail),
                    status_code=exc.status_code)

    @app.exception_handler(SaysoError)  # sayso's own: a bad input, an unreadable store, a refused query
    async def sayso_error(request: Request, exc: SaysoError) -> Response:
        headers = getattr(exc, "headers", None)  # Retry-After of a busy server
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": str(exc)}, status_code=exc.http_status, headers=headers)
        answer = page(request, "error.html", status=exc.http_status, message=str(exc), status_code=exc.http_status)
        answer.headers.update(headers or {})
        return answer

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        message = "; ".join(f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in errors)
        if request.url.path.startswith("/api/"):
            return JSONResponse({"detail": message or "invalid request"}, status_code=422)
        return page(request, "error.html", status=422, message=message, status_code=422)

    # --- reading what was sent ----------------------------------------------------------

    async def submitted(request: Request) -> Submitted:
        """The article sent as a form (text or file), JSON or a raw text/HTML body."""
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        try:
            if ctype in ("multipart/form-data", "application/x-www-form-urlencoded"):
                try:
                    form = await request.form(max_files=1, max_fields=20, max_part_size=max_body)
                except MultiPartException as exc:
                    raise InputError(f"malformed upload: {exc.message}") from None
                upload = form.get("file")
                if isinstance(upload, UploadFile) and upload.filename:
                    data = await upload.read()
                    return from_upload(data, upload.filename, upload.content_type)
                text = form.get("text")
                if isinstance(text, str) and text.strip():
                    return from_text(text)
                raise InputError("nothing to analyse: paste an article's text or choose a .txt or .html file")
            if ctype == "application/json" or ctype.endswith("+json"):
                import json

                body = await request.body()
                try:
                    payload = json.loads(body)
                except (ValueError, UnicodeDecodeError) as exc:
                    raise InputError(f"malformed JSON: {exc}") from None
                except RecursionError:
                    raise InputError("malformed JSON: nested too deeply") from None
                return from_json(payload)
            if ctype in ("text/plain", "text/html", "application/xhtml+xml", ""):
                body = await request.body()
                return from_upload(body, None, ctype)
        except UnicodeDecodeError as exc:  # pragma: no cover - decode_text reports these
            raise InputError(f"not valid UTF-8 text ({exc.reason})") from None
        raise HTTPException(415, f"unsupported content type {ctype!r}: send JSON {{\"text\": ...}}, "
                                 "a form with a text field or a file, or text/plain")

    async def analysed(sub: Submitted, want: Want) -> bytes | dict[str, Any]:
        """The record of the text sent, from a worker (JSON bytes or a dict); InputError if it has none."""
        outcome = await analyses.analyze(Job(sub.text, sub.id, sub.meta, want))
        if outcome.error or outcome.record is None:
            raise InputError(f"{sub.name}: {outcome.error}")
        return outcome.record

    # --- pages --------------------------------------------------------------------------

    @app.get("/", response_class=HTMLResponse, include_in_schema=False)
    def analyse_page(request: Request) -> HTMLResponse:
        return page(request, "analyse.html", article=None, text="")

    @app.post("/analyze", response_class=HTMLResponse, include_in_schema=False)
    async def analyse_submit(request: Request) -> HTMLResponse:
        from starlette.concurrency import run_in_threadpool

        text = ""
        try:
            sub = await submitted(request)
            text = sub.text
            record = await analysed(sub, "record")
        except HTTPException as exc:  # the form again, with the text sent and why it was refused
            return page(request, "analyse.html", status=exc.status_code, article=None, text=text,
                        error=str(exc.detail))
        except SaysoError as exc:
            answer = page(request, "analyse.html", status=exc.http_status, article=None, text=text, error=str(exc))
            answer.headers.update(getattr(exc, "headers", None) or {})  # Retry-After of a busy server
            return answer

        def result_page() -> HTMLResponse:  # in a thread: a long article's page takes a while to render
            article = Article.from_dict(record)  # type: ignore[arg-type]
            return page(request, "analyse.html", article=article, text=text, name=sub.name,
                        **article_context(article, corpus))

        return await run_in_threadpool(result_page)

    @app.get("/search", response_class=HTMLResponse, include_in_schema=False)
    def search_page(request: Request, q: str = "", page_no: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
                    by: str = "any") -> HTMLResponse:
        c = need_corpus()
        if by not in SEARCH_FIELDS:
            raise HTTPException(400, f"by={by!r}: search by one of {', '.join(SEARCH_FIELDS)}")
        results: list[Found] = []
        total = 0
        if q.strip():
            results, total, page_no = paged(lambda offset: c.search(q, by=by, limit=page_size, offset=offset),
                                            page_no)
        top = c.sources(limit=15)[0] if not q.strip() else []
        return page(request, "search.html", q=q, by=by, results=results, total=total,
                    pages=pager(page_no, total, page_size), top=top)

    @app.get("/sources/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    def source_page(request: Request, name: str,
                    page_no: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1) -> HTMLResponse:
        c = need_corpus()
        summary = c.source(name)
        if summary is None:
            raise HTTPException(404, f"no source named {name!r} in the corpus")
        rows, total, page_no = paged(lambda offset: c.source_attributions(name, limit=page_size, offset=offset),
                                     page_no)
        return page(request, "source.html", source=summary, rows=rows, total=total,
                    pages=pager(page_no, total, page_size),
                    stance_bar=render.stance_bar(summary.by_stance))

    @app.get("/articles", response_class=HTMLResponse, include_in_schema=False)
    def articles_page(request: Request, page_no: Annotated[int, Query(alias="page", ge=1, le=MAX_PAGE)] = 1,
                      outlet: str | None = None) -> HTMLResponse:
        c = need_corpus()
        rows, total, page_no = paged(lambda offset: c.articles(limit=page_size, offset=offset, outlet=outlet),
                                     page_no)
        return page(request, "articles.html", rows=rows, total=total, pages=pager(page_no, total, page_size),
                    outlet=outlet)

    @app.get("/articles/{id:path}", response_class=HTMLResponse, include_in_schema=False)
    def article_page(request: Request, id: str) -> HTMLResponse:
        c = need_corpus()
        article = c.article(id)
        if article is None:
            raise HTTPException(404, f"no article with id {id!r} in the corpus")
        return page(request, "article.html", article=article, **article_context(article, c))

    @app.get("/outlets", response_class=HTMLResponse, include_in_schema=False)
    def outlets_page(request: Request) -> HTMLResponse:
        c = need_corpus()
        return page(request, "outlets.html", rows=c.outlets())

    @app.get("/outlets/{name:path}", response_class=HTMLResponse, include_in_schema=False)
    def outlet_page(request: Request, name: str) -> HTMLResponse:
        from sayso.web.chart import profile_chart

        c = need_corpus()
        periods = c.outlet_profile(name)
        if not periods:
            raise HTTPException(404, f"no outlet named {name!r} in the corpus")
        rows, total = c.articles(limit=page_size, offset=0, outlet=name)
        return page(request, "outlet.html", outlet=name, periods=periods, chart=profile_chart(periods),
                    rows=rows, total=total, stances=STANCES)

    # --- the JSON API -------------------------------------------------------------------

    analyze_body = {
        "requestBody": {
            "required": True,
            "description": f"The article: JSON, a form (a `text` field or a `file`: .txt or .html), or a "
                           f"raw text/plain or text/html body. At most {human_size(max_body)}.",
            "content": {
                "application/json": {"schema": {
                    "type": "object", "required": ["text"],
                    "properties": {"text": {"type": "string"}, "id": {"type": "string"},
                                   "meta": {"type": "object"}}}},
                "multipart/form-data": {"schema": {
                    "type": "object",
                    "properties": {"text": {"type": "string"}, "file": {"type": "string", "format": "binary"}}}},
                "text/plain": {"schema": {"type": "string"}},
                "text/html": {"schema": {"type": "string"}},
            },
        },
        "responses": {"400": {"description": "empty, binary, not UTF-8, malformed or unreadable input"},
                      "413": {"description": f"request body over {human_size(max_body)}"},
                      "415": {"description": "unsupported content type"},
                      "503": {"description": "every analysis worker busy and the queue full: retry after "
                                             "the `Retry-After` header's seconds"},
                      "504": {"description": "the analysis passed the server's time limit (`--timeout`)"}},
    }

    @app.post("/api/analyze", tags=["analysis"], openapi_extra=analyze_body,
              summary="Analyse one article; returns its sayso.article/1 record")
    async def api_analyze(request: Request) -> Response:
        sub = await submitted(request)
        record = await analysed(sub, "json")
        return Response(record, media_type="application/json")  # type: ignore[arg-type]

    @app.get("/api/status", tags=["analysis"], summary="The analysis workers: how many, loaded, analyses in hand")
    def api_status() -> dict[str, int]:
        return analyses.status()

    @app.get("/api/sources", tags=["corpus"], summary="Sources of the corpus, most cited first")
    def api_sources(q: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> dict[str, Any]:
        c = need_corpus()
        rows, total = c.sources(q=q, limit=limit, offset=offset)
        return {"total": total, "limit": limit, "offset": offset, "sources": [r.to_dict() for r in rows]}

    @app.get("/api/sources/{name:path}/attributions", tags=["corpus"],
             summary="Every attribution by one source, newest article first")
    def api_source_attributions(name: str, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                                offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> dict[str, Any]:
        c = need_corpus()
        summary = c.source(name)
        if summary is None:
            raise HTTPException(404, f"no source named {name!r} in the corpus")
        rows, total = c.source_attributions(name, limit=limit, offset=offset)
        return {"source": summary.to_dict(), "total": total, "limit": limit, "offset": offset,
                "attributions": [r.to_dict() for r in rows]}

    @app.get("/api/articles", tags=["corpus"], summary="Stored articles with their sourcing profiles, newest first")
    def api_articles(outlet: str | None = None, limit: Annotated[int, Query(ge=1, le=500)] = 50,
                     offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> dict[str, Any]:
        rows, total = need_corpus().articles(limit=limit, offset=offset, outlet=outlet)
        return {"total": total, "limit": limit, "offset": offset, "articles": [r.to_dict() for r in rows]}

    @app.get("/api/articles/{id:path}", tags=["corpus"], summary="One stored article as its sayso.article/1 record")
    def api_article(id: str) -> dict[str, Any]:
        c = need_corpus()
        article = c.article(id)
        if article is None:
            raise HTTPException(404, f"no article with id {id!r} in the corpus")
        return article.to_dict()

    @app.get("/api/search", tags=["corpus"],
             summary="Attributions whose source name or content matches q, newest first")
    def api_search(q: Annotated[str, Query(min_length=1, max_length=500)],
                   by: Annotated[str, Query(pattern="^(any|source|content)$")] = "any",
                   limit: Annotated[int, Query(ge=1, le=500)] = 50,
                   offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0) -> dict[str, Any]:
        c = need_corpus()
        if not q.strip():
            raise HTTPException(400, "q is blank: give a source name or words of the content to search for")
        rows, total = c.search(q, by=by, limit=limit, offset=offset)
        return {"q": q, "by": by, "total": total, "limit": limit, "offset": offset,
                "attributions": [r.to_dict() for r in rows]}

    return app


def article_context(article: Article, corpus: Corpus | None = None) -> dict[str, Any]:
    """What _article.html shows; a source links to its corpus page only when `corpus` holds one of its name."""
    in_corpus = corpus.stored_sources(s.name for s in article.sources) if corpus is not None else set()
    return {
        "marked": render.marked_html(article),
        "sources": render.source_rows(article, in_corpus),
        "attributions": render.attribution_rows(article),
        "profile": render.profile_rows(article.profile),
        "stance_bar": render.stance_bar(article.profile.get("by_stance", {})),
        "legend": render.LEGEND,
        "stance_legend": render.STANCE_LEGEND,
    }


def pager(page_no: int, total: int, size: int) -> dict[str, Any]:
    last = max(1, (total + size - 1) // size)
    return {"page": page_no, "last": last, "prev": page_no - 1 if page_no > 1 else None,
            "next": page_no + 1 if page_no < last else None, "first_row": (page_no - 1) * size + 1 if total else 0,
            "last_row": min(page_no * size, total), "total": total}
