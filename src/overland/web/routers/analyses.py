"""Heavy analyses as jobs: ``POST /api/{kind}`` queues one (202), ``/api/jobs/{id}``
tells its state (optionally waiting), ``/api/jobs/{id}/result`` returns it, ``DELETE``
cancels it."""

import asyncio
import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ..config import Limits
from ..deps import Ctx
from ..jobs import Job
from ..problems import problem
from ..tasks import TASKS, Task

__all__ = ["build"]

JobId = Annotated[str, Path(min_length=32, max_length=32, pattern="^[0-9a-f]{32}$")]

_JOB_RESPONSES: dict[int | str, dict[str, Any]] = {
    202: {"description": "Queued, running or already done: the job's state."},
    422: {"description": "A parameter is invalid (JSON problem)."},
    429: {"description": "The job queue is full (JSON problem); retry later."},
}


def job_response(ctx: Ctx, job: Job, status: int = 202) -> JSONResponse:
    """The job's state, with its place in the queue while it waits."""
    doc = job.as_dict()
    if job.status == "queued":
        doc["position"] = ctx.jobs.position(job)
    return JSONResponse(doc, status_code=status, headers={"location": doc["url"]})


def _submit_endpoint(kind: str, task: Task, limits: Limits) -> Any:
    async def submit(ctx: Ctx, body: BaseModel) -> JSONResponse:
        params = task.check(ctx.network, body, limits)
        return job_response(ctx, ctx.jobs.submit(kind, params))

    submit.__annotations__["body"] = task.params
    submit.__doc__ = f"{task.summary} Runs as a job: 202 with the job's state."
    submit.__name__ = f"submit_{kind}"
    return submit


def build(limits: Limits) -> APIRouter:
    """The analysis and job endpoints."""
    router = APIRouter(prefix="/api", tags=["analyses"])
    for kind, task in TASKS.items():
        router.add_api_route(
            f"/{kind}",
            _submit_endpoint(kind, task, limits),
            methods=["POST"],
            status_code=202,
            responses=_JOB_RESPONSES,
            response_model=None,
        )

    @router.get("/jobs", tags=["jobs"])
    async def jobs(ctx: Ctx) -> dict[str, Any]:
        """The queue's state and the most recent jobs."""
        return {**ctx.jobs.stats(), "recent": [j.as_dict() for j in ctx.jobs.recent()]}

    @router.get(
        "/jobs/{job_id}",
        tags=["jobs"],
        response_model=None,
        responses={404: {"description": "No such job (JSON problem)."}},
    )
    async def job_state(
        ctx: Ctx,
        job_id: JobId,
        wait: Annotated[
            float,
            Query(ge=0, le=limits.max_wait_s, description="Wait up to this many seconds."),
        ] = 0,
    ) -> JSONResponse:
        """A job's state; with ``wait``, answered as soon as it finishes or the wait ends."""
        job = ctx.jobs.get(job_id)
        end = time.monotonic() + wait
        while not job.final and time.monotonic() < end:
            await asyncio.sleep(min(0.1, max(0.0, end - time.monotonic())))
        return job_response(ctx, job, 200)

    @router.get(
        "/jobs/{job_id}/result",
        tags=["jobs"],
        response_model=None,
        responses={
            404: {"description": "No such job (JSON problem)."},
            409: {"description": "Not finished, cancelled or timed out (JSON problem)."},
            422: {"description": "The job failed on its input (JSON problem)."},
        },
    )
    async def job_result(ctx: Ctx, job_id: JobId) -> JSONResponse:
        """The finished job's result document."""
        job = ctx.jobs.get(job_id)
        if job.status == "done":
            return JSONResponse(job.result)
        if job.error is not None:
            err = job.error
            return problem(int(err.get("status", 422)), err["type"], err["message"], job=job.id)
        return problem(409, "job_not_done", f"the job is {job.status}; poll {job.as_dict()['url']}")

    @router.delete("/jobs/{job_id}", tags=["jobs"], response_model=None)
    async def job_cancel(ctx: Ctx, job_id: JobId) -> JSONResponse:
        """Cancel a job: a queued one at once, a running one by stopping its worker."""
        return job_response(ctx, ctx.jobs.cancel(job_id), 200)

    return router
