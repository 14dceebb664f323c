"""What the three families' update handlers share: nothing but a typed refusal leaves them.

An exception that is not a Temporal failure (``ApplicationError`` and its kin) raised by an
update handler fails the workflow *task*, which Temporal retries forever: the workflow is
wedged, and every later update times out, until someone resets it by hand. Validators catch
what they can; :func:`refused_on_error` makes sure whatever they missed (a date overflowing in a
computation, a bug) fails the update instead, as ``ErrorType.ACTION_FAILED``, and the workflow
keeps running. Successful handlers issue the same commands as before: histories still replay.

Pure and light (``temporalio`` only): the workflows import it through the sandbox.
"""

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar, cast, overload

from temporalio import workflow
from temporalio.exceptions import ApplicationError, FailureError

from workflows.error_types import ErrorType

P = ParamSpec("P")
R = TypeVar("R")


def failed_update(handler: str, error: Exception) -> ApplicationError:
    """The refusal an unexpected ``error`` of ``handler`` becomes: non-retryable, naming the
    error's class only (its message may quote the input, hence personal data)."""
    return ApplicationError(
        f"{handler} could not be applied ({type(error).__name__}); nothing more was done",
        type=ErrorType.ACTION_FAILED,
        non_retryable=True,
    )


@overload
def refused_on_error(
    handler: Callable[P, Awaitable[R]],
) -> Callable[P, Awaitable[R]]: ...


@overload
def refused_on_error(handler: Callable[P, R]) -> Callable[P, R]: ...


def refused_on_error(handler: Callable[P, Any]) -> Callable[P, Any]:
    """Decorate an update handler (under ``@workflow.update``) so that any exception but a
    Temporal failure fails the update as :func:`failed_update`, never the workflow task.

    Keeps the handler's signature (Temporal reads its parameter and return types) and whether
    it is a coroutine function (Temporal runs sync handlers inline).
    """
    name = handler.__name__

    def refused(error: Exception) -> ApplicationError:
        # Where it broke, for the developers, but not the message: it may quote the input.
        workflow.logger.error(
            "update %s failed unexpectedly: %s at %s", name, type(error).__name__, _where(error)
        )
        return failed_update(name, error)

    if inspect.iscoroutinefunction(handler):

        @functools.wraps(handler)
        async def run_async(*args: P.args, **kwargs: P.kwargs) -> Any:
            try:
                return await handler(*args, **kwargs)
            except FailureError:
                raise
            except Exception as error:  # noqa: BLE001 - the point: nothing else escapes
                raise refused(error) from None

        return cast(Callable[P, Any], run_async)

    @functools.wraps(handler)
    def run_sync(*args: P.args, **kwargs: P.kwargs) -> Any:
        try:
            return handler(*args, **kwargs)
        except FailureError:
            raise
        except Exception as error:  # noqa: BLE001 - the point: nothing else escapes
            raise refused(error) from None

    return run_sync


def _where(error: BaseException) -> str:
    """``file:line`` where ``error`` was raised (no source lookup: the sandbox reads no file)."""
    frame = error.__traceback__
    if frame is None:
        return "unknown"
    while frame.tb_next is not None:
        frame = frame.tb_next
    return f"{frame.tb_frame.f_code.co_filename}:{frame.tb_lineno}"
