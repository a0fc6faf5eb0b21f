"""The counts of a plan, and its counts line in the binaries' own words.

OpenTofu and Terraform end a plan with ``Plan: [N to import, ]N to add, N to change, N to destroy[, N to
forget].``: a replace is one add and one destroy there, a create-forget one add and one forget, a move or
a data-source read nothing. :class:`Counts` keeps those numbers and, beside them, what the line leaves out.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class Counts(BaseModel):
    """The tool's own counts (``Plan: N to import, N to add, N to change, N to destroy, N to forget.``:
    a replace is one add and one destroy, a create-forget one add and one forget), and beside them what
    its line does not say: replaces, moves and data-source reads."""

    model_config = ConfigDict(validate_by_name=True, validate_by_alias=True, serialize_by_alias=True)

    imports: int = Field(0, alias="import")
    add: int = 0
    change: int = 0
    destroy: int = 0
    forget: int = 0
    replace: int = 0
    move: int = 0
    read: int = 0
    invoke: int = 0
    #: OpenTofu's line says "N to forget"; Terraform's (1.11) leaves forgets out, so they go beside it.
    forget_in_line: bool = Field(True, exclude=True)

    @property
    def destructive(self) -> bool:
        """The plan deletes something."""
        return self.destroy > 0

    @property
    def total(self) -> int:
        """Objects touched, each once (a replace is inside add and destroy already)."""
        return self.imports + self.add + self.change + self.destroy + self.forget + self.move + self.read \
            - self.replace

    def tool_line(self) -> str:
        """The ``Plan:`` line as OpenTofu and Terraform print it (import, forget and actions only when
        non-zero; Terraform never says forget)."""
        parts = [f"{self.imports} to import"] if self.imports else []
        parts += [f"{self.add} to add", f"{self.change} to change", f"{self.destroy} to destroy"]
        parts += [f"{self.forget} to forget"] if self.forget and self.forget_in_line else []
        line = "Plan: " + ", ".join(parts) + "."
        # Terraform 1.14's provider actions: invoked on apply, counted after the line's sentence.
        return line + (f" Actions: {self.invoke} to invoke." if self.invoke else "")

    def extras(self) -> list[str]:
        """What the tool's line leaves out, worded alike."""
        forget = 0 if self.forget_in_line else self.forget
        return [f"{n} to {word}" for n, word in ((self.replace, "replace"), (forget, "forget"),
                                                 (self.move, "move"), (self.read, "read")) if n]

    def line(self) -> str:
        """The tool's line, then replace, move and read beside it: ``Plan: ... (1 to replace)``."""
        extra = self.extras()
        return self.tool_line() + (f" ({', '.join(extra)})" if extra else "")
