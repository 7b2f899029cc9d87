// "Use my location" for the near-me search: fills the latitude and longitude fields from the
// browser's geolocation. Only an aid: the form works without it (the fields can be typed in).
(() => {
  const form = document.querySelector('form[data-near-me]');
  const button = form?.querySelector('[data-locate]');
  if (!form || !button || !('geolocation' in navigator)) return;
  button.hidden = false;
  button.addEventListener('click', () => {
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      (position) => {
        form.elements.lat.value = position.coords.latitude.toFixed(5);
        form.elements.lon.value = position.coords.longitude.toFixed(5);
        form.requestSubmit();
      },
      () => {
        button.disabled = false;
        form.elements.lat.focus();
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 },
    );
  });
})();
