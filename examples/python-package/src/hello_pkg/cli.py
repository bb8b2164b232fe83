import click


@click.command()
@click.option("--name", default="distill")
def main(name: str) -> None:
    click.echo(f"package: hello, {name}, from an installed console script")
